from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MutualAidConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mutual_aid"
    verbose_name = _("Family mutual aid")

    def ready(self) -> None:
        from mutual_aid.notices import RENDERERS
        from notices.rendering import notice_renderers_register

        notice_renderers_register(RENDERERS)
