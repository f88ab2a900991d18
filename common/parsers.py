"""The API's JSON parser (DRF's DEFAULT_PARSER_CLASSES)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's, with a body nested deeper than Python's recursion limit refused as any body that is not
    JSON: DRF catches only ValueError, and the RecursionError of a few kilobytes of `[[[…]]]` would
    answer 500 to anyone, signed in or not."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
