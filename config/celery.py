import os
from pathlib import Path

from celery import Celery
from celery.beat import PersistentScheduler
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("gongji")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class BeatScheduler(PersistentScheduler):
    """Beat's scheduler (CELERY_BEAT_SCHEDULER), which makes the directory of its schedule file
    (CELERY_BEAT_SCHEDULE_FILENAME) first: a fresh checkout or machine has no state directory yet."""

    def setup_schedule(self) -> None:
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()


@after_setup_logger.connect
@after_setup_task_logger.connect
def mask_personal_data_in_worker_logs(logger, **kwargs):
    """A worker replaces the root logger's handlers (and so Django's LOGGING) with its own: put the
    masking filter on those too, so the worker's log shows no full ID number or phone either."""
    from common.logging import MaskPersonalDataFilter

    for handler in logger.handlers:
        if not any(isinstance(f, MaskPersonalDataFilter) for f in handler.filters):
            handler.addFilter(MaskPersonalDataFilter())
