from celery.signals import task_postrun, worker_process_init
from django.apps import AppConfig

from workers.connections import close_unusable_connections, keep_database_connections
from workers.limits import limit_child_memory


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = "Workers"

    def ready(self) -> None:
        # A Celery worker sets Django up before it forks its pool, so each child gets the cap.
        worker_process_init.connect(limit_child_memory, weak=False)
        # One database connection per child, kept from task to task (workers/connections.py).
        worker_process_init.connect(keep_database_connections, weak=False)
        task_postrun.connect(close_unusable_connections, weak=False)
