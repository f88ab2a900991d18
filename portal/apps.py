from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The pages' common frame and the home page: composes the other apps, owns no table."""

    name = "portal"
    verbose_name = _("Portal")
