import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("gongji")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def mask_personal_data_in_worker_logs(logger, **kwargs):
    """A worker replaces the root logger's handlers (and so Django's LOGGING) with its own: put the
    masking filter on those too, so the worker's log shows no full ID number or phone either."""
    from common.logging import MaskPersonalDataFilter

    for handler in logger.handlers:
        if not any(isinstance(f, MaskPersonalDataFilter) for f in handler.filters):
            handler.addFilter(MaskPersonalDataFilter())
