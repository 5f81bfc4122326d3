from celery.signals import worker_process_init
from django.apps import AppConfig

from workers.limits import limit_child_memory


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = "Workers"

    def ready(self) -> None:
        # A Celery worker sets Django up before it forks its pool, so each child gets the cap.
        worker_process_init.connect(limit_child_memory, weak=False)
