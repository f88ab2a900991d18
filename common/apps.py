from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = _("Common")

    def ready(self) -> None:
        from celery.signals import after_setup_logger, after_setup_task_logger
        from django.core.signals import request_finished
        from django.db.backends.signals import connection_created

        from common import lookups  # noqa: F401 - registers field__any_of
        from common.faults import database_reachable
        from common.logging import format_worker_logs
        from common.request_id import request_id_clear

        request_finished.connect(request_id_clear, dispatch_uid="common.request_id_clear")
        # A new connection after a database outage is the outage's end.
        connection_created.connect(database_reachable, dispatch_uid="common.database_reachable")
        # Celery sets a worker's logging up after django.setup(), which runs this.
        after_setup_logger.connect(format_worker_logs, dispatch_uid="common.format_worker_logs")
        after_setup_task_logger.connect(format_worker_logs, dispatch_uid="common.format_task_logs")
