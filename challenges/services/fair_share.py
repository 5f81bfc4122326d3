"""Fair shares: no builder's burst takes the workers.

At most `MAX_RUNS_IN_FLIGHT_PER_USER` of a builder's runs are in flight (queued with a task
sent, or running); the rest wait as `queued` with `waiting` set, in submission order, and
`runs_dispatch` sends the next ones whenever one of the builder's runs reaches any final
state. The count and the choice happen under a lock of the builder's user row (`SELECT ...
FOR UPDATE` on PostgreSQL; SQLite serialises writers), so concurrent submissions and finishes
can never put more than the cap in flight, and the tasks leave only after the commit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from challenges.models import Run, RunStatus
from challenges.services.best_entries import lock_builder
from challenges.services.live import publish_run_queue
from challenges.services.queue import run_enqueue_or_leave_to_sweeper

IN_FLIGHT = Q(status__in=[RunStatus.QUEUED, RunStatus.RUNNING], waiting=False)
WAITING = Q(status=RunStatus.QUEUED, waiting=True)


def runs_dispatch(*, owner_id: int) -> list[int]:
    """Send the builder's waiting runs that fit under the cap (oldest first); return their ids.

    Call it in (or after) any transaction that ends one of the builder's runs or adds one.
    Every run still waiting hears its new place (`run.queue`) after the commit.
    """
    cap = settings.MAX_RUNS_IN_FLIGHT_PER_USER
    with transaction.atomic():
        lock_builder(owner_id)
        mine = Run.objects.filter(owner_id=owner_id)
        waiting = list(mine.filter(WAITING).order_by("created_at", "id")
                       .select_related("challenge"))
        if not waiting:
            return []
        free = len(waiting) if cap <= 0 else max(0, cap - mine.filter(IN_FLIGHT).count())
        sent = waiting[:free]
        if sent:
            # Sent now: the sweeper's "queued but never sent" clock starts here.
            Run.objects.filter(pk__in=[run.pk for run in sent]).update(
                waiting=False, enqueued_at=timezone.now())
            for run in sent:
                transaction.on_commit(lambda run=run: run_enqueue_or_leave_to_sweeper(run))
        for place, run in enumerate(waiting[free:]):
            publish_run_queue(run_id=run.pk, ahead=place, in_flight=cap)
        for run in sent:
            publish_run_queue(run_id=run.pk, ahead=None, in_flight=cap)
    return [run.pk for run in sent]


def run_waits(*, owner_id: int) -> bool:
    """Tell, under the builder's lock, whether a new run of theirs must wait (the cap is met)."""
    cap = settings.MAX_RUNS_IN_FLIGHT_PER_USER
    if cap <= 0:
        return False
    lock_builder(owner_id)
    counts = Run.objects.filter(owner_id=owner_id).aggregate(
        in_flight=Count("pk", filter=IN_FLIGHT), waiting=Count("pk", filter=WAITING))
    return counts["waiting"] > 0 or counts["in_flight"] >= cap
