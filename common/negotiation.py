"""How the API chooses what to answer in (DRF's DEFAULT_CONTENT_NEGOTIATION_CLASS).

A module of its own: DRF imports it while defining APIView, so it must not import DRF's views.
"""

from rest_framework.negotiation import DefaultContentNegotiation


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """A view with one renderer (the API's JSON) answers with it whatever the Accept header asks:
    no 406 for a browser's `text/html`, and no header parsed on every request. A view offering
    several (the schema's YAML and JSON) still lets the client choose."""

    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1:
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
