from django.apps import AppConfig


class InsureesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "insurees"
