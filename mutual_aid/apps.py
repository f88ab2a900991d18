from django.apps import AppConfig


class MutualAidConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mutual_aid"
