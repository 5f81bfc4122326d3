"""The Celery app: its safety settings, and a real worker running a real task."""

from __future__ import annotations

import pytest
from django.conf import settings

from descent.celery import app
from workers.tasks import echo


def test_celery_accepts_json_only_and_never_pickle() -> None:
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]


def test_celery_settings_keep_a_task_from_being_lost_or_running_forever() -> None:
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit < conf.task_time_limit
    for options in (conf.broker_transport_options, conf.result_backend_transport_options):
        assert options["visibility_timeout"] > conf.task_time_limit
    assert conf.broker_transport_options["unacked_restore_interval"] <= 5
    assert conf.broker_transport_options["unacked_restore_throttle"] == 1
    assert conf.worker_soft_shutdown_timeout > 0
    assert conf.broker_url == settings.REDIS_URL


def test_beat_schedule_names_registered_tasks() -> None:
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks


@pytest.mark.stack
def test_a_real_worker_runs_a_task_through_redis(live_worker: str) -> None:
    result = echo.delay("gradient descent")
    assert result.get(timeout=30) == "gradient descent"


def test_sweeps_and_beats_heartbeat_go_to_the_maintenance_queue_and_runs_do_not() -> None:
    def queue_of(task: str) -> str:
        return app.amqp.router.route({}, task)["queue"].name

    for task in ("workers.tasks.sweep_runs", "workers.tasks.sweep_verifications",
                 "workers.tasks.beat_heartbeat"):
        assert queue_of(task) == settings.MAINTENANCE_QUEUE
    assert queue_of("workers.tasks.train_run") == settings.CELERY_TASK_DEFAULT_QUEUE
    # Every task beat sends is one the maintenance worker serves.
    assert {entry["task"] for entry in app.conf.beat_schedule.values()} <= set(
        settings.MAINTENANCE_TASKS)


def test_the_maintenance_worker_is_one_solo_process_on_its_queue_only() -> None:
    from descent.stack.servers import MAINTENANCE_QUEUE, maintenance_worker_command

    command = maintenance_worker_command(hostname="maint@h")
    assert command[command.index("--queues") + 1] == MAINTENANCE_QUEUE == "maintenance"
    assert command[command.index("--pool") + 1] == "solo"
    assert command[command.index("--concurrency") + 1] == "1"
