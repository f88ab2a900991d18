from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MedicalConfig(AppConfig):
    """Medical costs: allowances now; e-vouchers, institutions and settlements later."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "medical"
    verbose_name = _("Medical costs")

    def ready(self) -> None:
        from accounts.authentication import sign_in_loader_register
        from medical.notices import RENDERERS
        from medical.permissions import terminal_load
        from notices.rendering import notice_renderers_register

        notice_renderers_register(RENDERERS)
        sign_in_loader_register(terminal_load)
