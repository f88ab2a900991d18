from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = _("Premium payments")

    def ready(self) -> None:
        from notices.rendering import notice_renderers_register
        from payments.notifications import RENDERERS

        notice_renderers_register(RENDERERS)
