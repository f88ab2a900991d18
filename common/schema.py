"""OpenAPI naming: nested `InputSerializer`s of different APIs must not collide in the schema."""

from drf_spectacular.openapi import AutoSchema


class GongjiAutoSchema(AutoSchema):
    def _get_serializer_name(self, serializer, direction, bypass_extensions=False):
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        qualname = type(serializer).__qualname__
        if "." in qualname and not qualname.startswith("inline_serializer"):
            outer = qualname.rsplit(".", 1)[0].replace(".", "")
            if not name.startswith(outer):
                name = f"{outer.removesuffix('Api')}{name}"
        return name
