from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsureesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "insurees"
    verbose_name = _("Insured persons")
