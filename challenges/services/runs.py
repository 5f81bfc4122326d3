"""A run's life: claimed by a worker, epochs recorded, finished once; cancelled; disqualified.

Statuses only move forward. Every transition is one conditional UPDATE (`WHERE status IN
(...)`), so two processes racing on a run can never both win, and the `attempt` number is a
fencing token: a worker that lost its run to a newer attempt finds its writes match no row
and stops.
"""

from __future__ import annotations

import datetime as dt
import math
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from challenges.models import Challenge, Run, RunHistoryChunk, RunStatus
from challenges.selectors.datasets import challenge_dataset
from challenges.selectors.ghosts import GhostTrack
from challenges.services.best_entries import best_entries_refresh_run, lock_builder
from challenges.services.cancellations import CancelWatch, cancel_announce, cancel_watch
from challenges.services.fair_share import run_waits, runs_dispatch
from challenges.services.holder import (
    process_alive,
    reset_connection,
    with_db_retry,
)
from challenges.services.leaderboards import leaderboard_announce
from challenges.services.live import publish_run_epochs, publish_run_progress, publish_run_status
from challenges.services.queue import run_enqueue, run_leave_to_sweeper
from community.services.notifications import notification_create
from descent.engine.budget import estimate_budget
from descent.engine.spec import spec_hash
from descent.unavailable import UNAVAILABLE_ERRORS

# A recorder writes a history chunk at least this often, beats the heartbeat with it, and
# then publishes it: a run's own watchers get at most ~10 messages a second, never an epoch
# that the database does not have yet. A challenge's watchers see every run in the race, so
# each run tells them at most twice a second (and always its last epoch): a thousand
# watchers of three runs then cost one ASGI process ~6,000 frames a second, not 30,000.
FLUSH_EVERY_EPOCHS = 100
FLUSH_EVERY_SECONDS = 0.1
RACE_EVERY_SECONDS = 0.5


def heartbeat_stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.RUN_HEARTBEAT_STALE_SECONDS)


def utc_day(now: dt.datetime) -> dt.date:
    """Return the UTC day of `now`: the day whose quota a run spends."""
    return now.astimezone(dt.UTC).date()


def run_create(
    *,
    owner: Any,
    challenge: Challenge,
    spec: dict[str, Any],
    parameter_count: int,
    note: str = "",
    now: dt.datetime | None = None,
    counts_toward_quota: bool = True,
    ranked: bool = True,
    shared: bool = False,
    forked_from: Run | None = None,
    lab_group: Any = None,
    enqueue: bool = True,
    ghost_run: Run | None = None,
    estimated_work: int | None = None,
) -> Run:
    """Write a queued run of an already checked, normalised spec; enqueue it after commit.

    `estimated_work` (multiply-adds, the budget's estimate) picks the run's queue; when not
    given it is estimated here from the challenge's data.

    The one place a `Run` row is written, private to challenges: `run_submit`, `lab_submit`,
    `run_rerun` and the demo seed (which trains in-process, so `enqueue=False`) call it; the
    API and the pages go through those. The training task leaves only once the transaction
    commits, so a worker never looks for a run that a rollback undid.
    """
    now = now or timezone.now()
    if estimated_work is None:
        estimated_work = work_estimate(challenge=challenge, spec=spec)
    with transaction.atomic():
        # Fair shares: past the builder's cap the run waits (services/fair_share.py).
        waiting = enqueue and run_waits(owner_id=owner.pk)
        run = Run.objects.create(
            owner=owner, challenge=challenge, spec=spec, spec_hash=spec_hash(spec, parsed=True),
            note=note,
            quota_day=utc_day(now), counts_toward_quota=counts_toward_quota, ranked=ranked,
            shared=shared, parameter_count=parameter_count, forked_from=forked_from,
            lab_group=lab_group, enqueued_at=now, ghost_run=ghost_run,
            estimated_work=estimated_work, waiting=waiting,
        )
        if waiting:
            runs_dispatch(owner_id=owner.pk)  # tells it its place
        elif enqueue:
            transaction.on_commit(lambda: _enqueue_or_leave_to_sweeper(run))
    return run


def _enqueue_or_leave_to_sweeper(run: Run) -> None:
    # After the commit: a run that could not be queued (Redis down) is kept, never lost.
    try:
        run_enqueue(run)
    except UNAVAILABLE_ERRORS:
        run_leave_to_sweeper(run)


def work_estimate(*, challenge: Challenge, spec: dict[str, Any]) -> int:
    """Estimate the multiply-adds of training a normalised spec on the challenge's data."""
    data = challenge_dataset(challenge)
    return estimate_budget(spec, n_inputs=data.n_inputs, n_train=len(data.X_train),
                           parsed=True).macs_total


def run_claim(*, run_id: int, worker_host: str, engine_version: str,
              worker_process: str = "", now: dt.datetime | None = None) -> Run | None:
    """Start the next attempt of a run, or return None when there is nothing to do.

    A worker may take a run that is queued, or running but lost: its heartbeat is older than
    the stale mark (its worker died, anywhere), or the process that holds it (`worker_process`,
    "hostname:pid") ran on this host and is gone (its pool child was killed: Celery requeued the
    task at once, and so does this take it over). A finished run, or one that a live process is
    training (it beats every RUN_HEARTBEAT_BEAT_SECONDS, however long an epoch), is left alone:
    a task that was delivered twice does nothing the second time.
    """
    now = now or timezone.now()
    with transaction.atomic():
        claimable = Q(status=RunStatus.QUEUED) | Q(
            status=RunStatus.RUNNING, heartbeat_at__lt=now - heartbeat_stale_after()
        )
        holder = _lost_holder_here(run_id)
        if holder is not None:
            claimable |= Q(status=RunStatus.RUNNING, worker_process=holder)
        updated = (
            # A waiting run (fair shares) has no task of its own yet: a stray one must not
            # start it past its builder's cap.
            Run.objects.filter(claimable, pk=run_id, attempt__lt=settings.RUN_MAX_ATTEMPTS,
                               waiting=False)
            .update(status=RunStatus.RUNNING, attempt=F("attempt") + 1, heartbeat_at=now,
                    started_at=now, worker_host=worker_host[:200],
                    worker_process=worker_process[:200],
                    engine_version=engine_version, epochs_done=0)
        )
        if not updated:
            return None
        run = Run.objects.select_related("challenge", "owner").get(pk=run_id)
        # Exactly one history is kept: the one of the attempt that finishes.
        RunHistoryChunk.objects.filter(run=run).exclude(attempt=run.attempt).delete()
        publish_run_status(run)  # on commit
    return run


def _lost_holder_here(run_id: int) -> str | None:
    """Return the `worker_process` of a running run if it names a gone process of this host."""
    holder = (Run.objects.filter(pk=run_id, status=RunStatus.RUNNING)
              .values_list("worker_process", flat=True).first())
    if not holder:
        return None
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return None  # another host's process: only its heartbeat can tell
    return None if process_alive(int(pid)) else holder


@dataclass
class RunRecorder:
    """Record one attempt's epochs: buffered, flushed as chunks that also beat the heartbeat.

    `on_epoch(record)` is the engine's callback: it returns False to stop training when the
    run was cancelled or taken over by a newer attempt.
    """

    run_id: int
    attempt: int
    challenge_slug: str = ""
    user: str = ""
    epochs: int = 0
    ranked: bool = True
    buffer: list[dict[str, Any]] = field(default_factory=list)
    epochs_done: int = 0
    last_record: dict[str, Any] | None = None
    last_flush: float = field(default_factory=time.monotonic)
    stopped_because: str = ""
    last_epoch_at: float = 0.0
    last_race_publish: float = 0.0
    race_epoch: int = 0
    watch: CancelWatch = field(default_factory=cancel_watch)
    # The run's live instruments (services/instruments.py): stored and published with each
    # flush, in its transaction, so they cost no commit of their own.
    instruments: Any = None
    ghost: GhostTrack | None = None  # the run this one races, if any

    def ghost_at(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """The ghost at `record`'s epoch and the gap, for the live messages (None: no race)."""
        if self.ghost is None:
            return None
        return self.ghost.at(record["epoch"], record.get("val_loss"))

    def on_epoch(self, record: dict[str, Any]) -> bool:
        # JSON (and PostgreSQL's jsonb) has no NaN or infinity: store those as null.
        record = {key: _json_number(value) for key, value in record.items()}
        self.last_epoch_at = time.time()  # the moment the epoch ended, for live latency
        self.buffer.append(record)
        self.epochs_done = record["epoch"]
        self.last_record = record
        if self.watch.requested(self.run_id):
            self.stopped_because = "cancelled"
            self.flush()
            return False
        if (len(self.buffer) >= FLUSH_EVERY_EPOCHS
                or time.monotonic() - self.last_flush >= FLUSH_EVERY_SECONDS):
            return self.flush()
        return True

    def publish_race(self) -> None:
        """Send the challenge's watchers this run's latest epoch (if not sent already)."""
        if self.last_record is None or self.race_epoch == self.last_record["epoch"]:
            return
        self.last_race_publish = time.monotonic()
        self.race_epoch = self.last_record["epoch"]
        publish_run_progress(run_id=self.run_id, challenge_slug=self.challenge_slug,
                             user=self.user, record=self.last_record, epochs=self.epochs,
                             ranked=self.ranked, epoch_ended_at=self.last_epoch_at,
                             ghost=self.ghost_at(self.last_record))

    def flush(self) -> bool:
        """Write buffered epochs and beat the heartbeat; return False if the run is not ours.

        The buffer is emptied only once its chunk is committed, and the write is retried
        through a short database outage (`with_db_retry`): `epochs_done` never counts an epoch
        that the stored history lacks.
        """
        self.last_flush = time.monotonic()
        records = list(self.buffer)
        # Layer samples are taken once: every try of the write stores the same ones.
        layers = self.instruments.take_layers() if self.instruments is not None else []
        tries: list[int] = []

        def write() -> tuple[Any] | None:
            tries.append(1)
            return self._write(records, layers, retry=len(tries) > 1)

        written = with_db_retry(write, what=f"run {self.run_id} flush")
        if written is None:
            return False
        frame = written[0]
        del self.buffer[:len(records)]
        # Committed: now the watchers may hear of it.
        publish_run_epochs(run_id=self.run_id, records=records, epochs=self.epochs,
                           epoch_ended_at=self.last_epoch_at,
                           ghost=self.ghost_at(records[-1]) if records else None)
        if self.instruments is not None:
            self.instruments.publish(frame=frame, layers=layers if records else [])
        if records and time.monotonic() - self.last_race_publish >= RACE_EVERY_SECONDS:
            self.publish_race()
        return self.stopped_because != "cancelled"

    def _write(self, records: list[dict[str, Any]], layers: list[dict[str, Any]],
               retry: bool = False) -> tuple[Any] | None:
        """Store `records` as one chunk with the progress, in one transaction; None: not ours."""
        last = records[-1] if records else (self.last_record or {})
        progress = {
            "heartbeat_at": timezone.now(),
            "epochs_done": last.get("epoch", self.epochs_done) if records else self.epochs_done,
            "train_loss": _finite(last.get("train_loss")),
            "val_loss": _finite(last.get("val_loss")),
        }
        ours = Run.objects.filter(pk=self.run_id, attempt=self.attempt, status=RunStatus.RUNNING)
        frame = None
        with transaction.atomic():
            # One query on the usual path; only when it matches nothing do we ask why.
            if not ours.filter(cancel_requested=False).update(**progress):
                if not ours.update(**progress):
                    self.stopped_because = self.stopped_because or "superseded"
                    return None
                self.stopped_because = "cancelled"  # asked before this process listened
            # A retry after a commit whose answer was lost finds its chunk already stored.
            if records and not (retry and RunHistoryChunk.objects.filter(
                    run_id=self.run_id, attempt=self.attempt,
                    first_epoch=records[0]["epoch"]).exists()):
                RunHistoryChunk.objects.create(run_id=self.run_id, attempt=self.attempt,
                                               first_epoch=records[0]["epoch"], records=records,
                                               layers=layers)
            if self.instruments is not None:
                frame = self.instruments.write_frames()
        return (frame,)


@dataclass(frozen=True)
class RunOutcome:
    """How an attempt ended, as the worker saw it."""

    status: str
    val_score: float | None = None
    test_score: float | None = None
    diagnoses: list[dict[str, str]] = field(default_factory=list)
    error: str = ""


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def run_finish(*, recorder: RunRecorder, outcome: RunOutcome) -> Run | None:
    """Record the attempt's last epochs and its end; return the run, or None if not ours.

    Only the attempt that holds the run can finish it, and only once.
    """
    if recorder.buffer and not recorder.flush() and recorder.stopped_because == "superseded":
        return None
    recorder.publish_race()  # the last epoch always reaches the race, before the status
    last = recorder.last_record or {}

    def finish() -> Run | None:
        with transaction.atomic():
            finished = Run.objects.filter(
                pk=recorder.run_id, attempt=recorder.attempt, status=RunStatus.RUNNING
            ).update(
                status=outcome.status, finished_at=timezone.now(), heartbeat_at=timezone.now(),
                val_score=_finite(outcome.val_score), test_score=_finite(outcome.test_score),
                diagnoses=outcome.diagnoses, error=outcome.error,
                epochs_done=recorder.epochs_done, train_loss=_finite(last.get("train_loss")),
                val_loss=_finite(last.get("val_loss")),
            )
            if not finished:
                return None
            run = Run.objects.select_related("challenge", "owner").get(pk=recorder.run_id)
            ranks = run.status == RunStatus.SUCCEEDED and run.ranked
            if ranks:
                # The kept board moves with the finish, in its transaction (services/best_entries).
                best_entries_refresh_run(run=run)
            notify_run_finished(run)
            # On commit, so a retried finish announces once, what committed.
            publish_run_status(run)
            runs_dispatch(owner_id=run.owner_id)  # a place in flight is free
            if ranks:
                leaderboard_announce(challenge=run.challenge)
            return run

    return with_db_retry(finish, what=f"run {recorder.run_id} finish")


def notify_run_finished(run: Run) -> None:
    """Tell the owner, in the page header, that their run ended and how."""
    score = "" if run.val_score is None else f" ({run.challenge.metric} {run.val_score:.4g})"
    notification_create(
        recipient=run.owner, kind="run.finished",
        text=f"Your run {run.pk} on {run.challenge.title} {run.get_status_display().lower()}"
             f"{score}.",
        url=f"/runs/{run.pk}/",
    )


def run_cancel(*, run: Run) -> Run:
    """Cancel a run: at once if queued, within one epoch if running; no-op if it ended."""
    now = timezone.now()
    with transaction.atomic():
        # The builder first, then the run: the order runs_dispatch takes them in, so a cancel
        # and a dispatch of the same waiting run can never deadlock.
        lock_builder(run.owner_id)
        if Run.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
            status=RunStatus.CANCELLED, finished_at=now, cancel_requested=True,
            error="Cancelled before it started.", waiting=False,
        ):
            run.refresh_from_db()
            publish_run_status(run)
            runs_dispatch(owner_id=run.owner_id)  # its place, in flight or in line, is free
    if Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(cancel_requested=True):
        # The worker hears this before its next epoch ends; the flag covers a worker that was
        # not listening yet (it reads it at its next flush, within 0.1 s).
        transaction.on_commit(lambda: cancel_announce(run.pk))
    run.refresh_from_db()
    return run


def run_give_up(*, run_id: int, attempt: int) -> bool:
    """Hand an attempt that cannot go on (its database writes kept failing) to the sweeper.

    Best effort, as the database may still be away: the heartbeat is set past the stale mark,
    so the next sweep enqueues the run as its next attempt (or fails it, out of attempts).
    Left as it is, the heartbeat goes stale by itself anyway.
    """
    try:
        return bool(Run.objects.filter(pk=run_id, attempt=attempt, status=RunStatus.RUNNING)
                    .update(heartbeat_at=timezone.now() - 2 * heartbeat_stale_after()))
    except DatabaseError:
        reset_connection()
        return False


def run_mark_cancelled(*, recorder: RunRecorder) -> Run | None:
    """End an attempt that stopped because of a cancel request."""
    return run_finish(
        recorder=recorder,
        outcome=RunOutcome(status=RunStatus.CANCELLED,
                           error=f"Cancelled after {recorder.epochs_done} epochs."),
    )


def run_rerun(*, run: Run) -> Run:
    """Train the same spec again for the same builder, outside the quota (staff action)."""
    return run_create(
        owner=run.owner, challenge=run.challenge, spec=run.spec, note=f"rerun of run {run.pk}",
        counts_toward_quota=False, ranked=run.ranked, parameter_count=run.parameter_count,
        forked_from=run.forked_from, shared=run.shared,
    )


@transaction.atomic
def run_disqualify(*, run: Run, reason: str) -> Run:
    """Take a run off the leaderboard, with a reason its owner sees."""
    if not reason.strip():
        raise ValueError("a disqualification needs a reason the builder can read")
    lock_builder(run.owner_id)  # builder before run, as everywhere
    run.disqualified_reason = reason.strip()
    run.save(update_fields=["disqualified_reason"])
    best_entries_refresh_run(run=run)
    leaderboard_announce(challenge=run.challenge)  # on commit
    return run


@transaction.atomic
def run_requalify(*, run: Run) -> Run:
    """Clear a disqualification: the run ranks again if it would."""
    lock_builder(run.owner_id)
    run.disqualified_reason = ""
    run.save(update_fields=["disqualified_reason"])
    best_entries_refresh_run(run=run)
    leaderboard_announce(challenge=run.challenge)  # on commit
    return run


@transaction.atomic
def run_set_ranked(*, run: Run, ranked: bool) -> Run:
    """Put a run on its challenge's board or take it off (staff, in the admin)."""
    lock_builder(run.owner_id)
    run.ranked = ranked
    run.save(update_fields=["ranked"])
    best_entries_refresh_run(run=run)
    leaderboard_announce(challenge=run.challenge)  # on commit
    return run


@transaction.atomic
def run_set_shared(*, run: Run, shared: bool) -> Run:
    """Show or hide the run's spec to everyone (the owner's share switch)."""
    run.shared = shared
    run.save(update_fields=["shared"])
    return run
