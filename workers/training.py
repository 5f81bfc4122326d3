"""Train one run: claim it, train it with the engine, record epochs, finish with scores.

The hidden test labels are read here, and only here: the score leaves, the labels never do.
"""

from __future__ import annotations

import gc
import logging
import socket

from billiard.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

from challenges.models import Run, RunStatus
from challenges.selectors.datasets import challenge_dataset, challenge_dataset_hash
from challenges.selectors.ghosts import ghost_track
from challenges.services.blueprint import blueprint_after_run
from challenges.services.holder import HeartbeatThread, this_process
from challenges.services.instruments import (
    TRAJECTORY_SNAPSHOTS,
    InstrumentRecorder,
    frames_forget_other_attempts,
)
from challenges.services.runs import (
    RunOutcome,
    RunRecorder,
    run_claim,
    run_finish,
    run_give_up,
    run_mark_cancelled,
)
from challenges.services.terrain import terrain_request
from challenges.services.verification import run_record_provenance
from descent.engine import ENGINE_VERSION, Dataset, Instruments, Model
from descent.engine.metrics import score
from descent.engine.reproduce import numeric_environment
from descent.engine.training import train
from workers.nodes import worker_node

log = logging.getLogger(__name__)

LIVE_SHARE = 0.03


def train_run(run_id: int) -> str:
    """Train run `run_id` to one final status; return what happened, for the task's result."""
    run = run_claim(run_id=run_id, worker_host=socket.gethostname(),
                    worker_process=this_process(), engine_version=ENGINE_VERSION)
    if run is None:
        return "skipped: finished, held by a live worker, or out of attempts"
    heartbeat = HeartbeatThread(run_id=run.pk, attempt=run.attempt)
    heartbeat.start()
    try:
        return _train_claimed(run)
    except (OperationalError, InterfaceError):
        # The database stayed away longer than RUN_DB_RETRY_SECONDS: this attempt cannot
        # record anything, so it stops, and the sweeper starts the next one (or fails the run
        # with a reason once out of attempts). Never "failed" for our outage.
        log.exception("run %s attempt %s: database unavailable; handed to the sweeper",
                      run.pk, run.attempt)
        heartbeat.stop()
        run_give_up(run_id=run.pk, attempt=run.attempt)
        return "database unavailable: the sweeper retries it as a new attempt"
    finally:
        heartbeat.stop()


def _train_claimed(run: Run) -> str:
    """Train a run this process just claimed, to one final status (see `train_run`)."""
    recorder = RunRecorder(run_id=run.pk, attempt=run.attempt,
                           challenge_slug=run.challenge.slug, user=run.owner.username,
                           epochs=run.spec["epochs"], ranked=run.ranked,
                           ghost=ghost_track(run))
    challenge = run.challenge
    memory_error = False
    try:
        data = challenge_dataset(challenge)
        run_record_provenance(run=run, worker_node=worker_node(),
                              dataset_hash=challenge_dataset_hash(challenge),
                              numeric=numeric_environment())
        recorder.instruments = start_instruments(run)
        result = train(run.spec, data, on_epoch=recorder.on_epoch, metric=challenge.metric,
                       instruments=live_instruments(data, recorder.instruments))
        if recorder.instruments is not None:
            recorder.instruments.finish(
                trajectory=result.trajectory if result.status != "cancelled" else None,
                diverged=result.status == "diverged", records_pending=bool(recorder.buffer))
        if result.status == "cancelled":
            if recorder.stopped_because == "superseded":
                return "superseded by a newer attempt"
            run_mark_cancelled(recorder=recorder)
            return "cancelled"
        diagnoses = [{"code": d["code"], "message": d["message"]} for d in result.diagnoses]
        if result.status == "diverged":
            outcome = RunOutcome(status=RunStatus.DIVERGED, diagnoses=diagnoses,
                                 error=result.message)
        else:
            outcome = RunOutcome(
                status=RunStatus.SUCCEEDED, diagnoses=diagnoses,
                val_score=score(challenge.metric, result.model, data.X_val, data.y_val,
                                data.task),
                test_score=score(challenge.metric, result.model, data.X_test, data.y_test,
                                 data.task),
            )
        del result
    except SoftTimeLimitExceeded:
        outcome = RunOutcome(
            status=RunStatus.TIMED_OUT,
            error=f"The run reached challenge '{challenge.slug}''s time limit of "
                  f"{challenge.time_limit_seconds} s after {recorder.epochs_done} epochs. Its "
                  "history so far is kept. Try fewer epochs, a smaller network or a larger "
                  "batch_size.",
        )
    except MemoryError:
        # Re-raised, a MemoryError would take the worker down with it: record the failure
        # instead (the run's arrays are freed with the traceback when this block ends).
        memory_error = True
        outcome = RunOutcome(
            status=RunStatus.FAILED,
            error=f"The run needed more memory than a worker allows "
                  f"({settings.WORKER_MEMORY_LIMIT_MB} MiB). Use fewer or smaller layers or a "
                  "smaller batch_size. This did not count against your quota.",
        )
    except (OperationalError, InterfaceError):
        raise  # our database, not the run: see train_run
    except Exception as exc:
        log.exception("run %s attempt %s failed", run.pk, run.attempt)
        outcome = RunOutcome(
            status=RunStatus.FAILED,
            error=f"The worker hit an internal error ({type(exc).__name__}); this is a bug on "
                  "our side and did not count against your quota.",
        )
    if memory_error:
        gc.collect()  # give back what the run held before touching the database
    finished = run_finish(recorder=recorder, outcome=outcome)
    if finished is not None and finished.status == RunStatus.SUCCEEDED:
        # A run that meets its node's threshold may clear it (and tell the builder, live).
        blueprint_after_run(finished)
    if finished is not None:
        terrain_request(run=finished)  # computed by another task, never in the run's time
    return outcome.status if finished is not None else "superseded by a newer attempt"


def model_scores(metric: str, model: Model, data: Dataset) -> tuple[float, float]:
    """Score a trained model on the validation and the hidden test split (for verification).

    Here, beside `train_run`, because the test labels are read in this module only.
    """
    return (score(metric, model, data.X_val, data.y_val, data.task),
            score(metric, model, data.X_test, data.y_test, data.task))


def start_instruments(run: Run) -> InstrumentRecorder | None:
    """Return the recorder of a run's instruments, or None when they are off (the bench)."""
    if not settings.RUN_INSTRUMENTS:
        return None
    frames_forget_other_attempts(run_id=run.pk, attempt=run.attempt)
    return InstrumentRecorder(run_id=run.pk, attempt=run.attempt, epochs=run.spec["epochs"])


def live_instruments(data: object, recorder: InstrumentRecorder | None) -> Instruments | None:
    """Return the engine instruments a run trains with: frames (2-input data), layers, path."""
    if recorder is None:
        return None
    two_inputs = getattr(data, "n_inputs", 0) == 2
    return Instruments(
        # Of the 10 % goal the engine's instruments get 3 %; storing and publishing what they
        # measure (bench/instrumented_runs.py) take the rest.
        share=LIVE_SHARE,
        on_boundary=recorder.on_boundary if two_inputs else None,
        on_layers=recorder.on_layers,
        trajectory_snapshots=TRAJECTORY_SNAPSHOTS,
    )
