"""What watchers are told, and when: every epoch flush, every status, every leaderboard.

Groups (dotted, as the Channels docs name them): `challenge.<slug>` for a challenge's live
leaderboard, `run.<id>` for one run's stream, `run.<id>.layers` for the part of that stream
only viewers who may see the run's spec get (its layer statistics: they show its depth).
Every message goes out through `descent.live.publisher`'s `publish_on_commit`, so a
broadcast never shows what a rollback undid (outside a transaction it goes at once), and
nothing here writes to the database: the services in `runs.py` and `leaderboards.py` write,
then call these.

Leaderboard messages carry `seq`, one Redis counter per challenge (read by
`challenges/selectors/live.py`). The counter is bumped and the entries computed under a Redis
lock, and the message is handed to Redis before the lock is released, so a higher `seq`
always carries entries at least as fresh as a lower one. Under the same lock the board is
kept in Redis with its seq (`board_key`): snapshots read it, and the next publish diffs
against it.

Each `leaderboard.update` goes out in two forms (descent/live/hub.py, "variants"): as the
first protocol has it — every entry — and, for protocol-2 watchers, as the rows of the top
`LEADERBOARD_LIVE_TOP` that changed since the previous seq (`partial`, descent/live/ranked.py),
or the whole top when there is no previous board to diff against. `run.progress` goes to the
first protocol one by one and to protocol 2 batched (`runs.progress`, by the hub), and so
does `run.finished` (`runs.finished`).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import transaction

from challenges.models import Challenge, Run
from challenges.selectors.history import public_record, redact_hyperparameters
from challenges.selectors.leaderboards import leaderboard_get
from challenges.selectors.live import board_cached, board_key, seq_key
from challenges.selectors.visibility import run_spec_visible
from descent.live.publisher import publish_on_commit, publish_seq_now
from descent.live.ranked import board_delta
from descent.redis import get_redis

PROTOCOL = "2"  # the hub variant of protocol-2 watchers
BOARD_KEPT_SECONDS = 86400
# How the hub batches these for protocol 2 (descent/live/hub.py): per run, the latest; a
# run's progress flushed before its finish.
PROGRESS_BATCH = {"variant": PROTOCOL, "type": "runs.progress", "key": "run", "list": "runs",
                  "order": 0}
FINISHED_BATCH = {"variant": PROTOCOL, "type": "runs.finished", "key": "run", "list": "runs",
                  "order": 1}


def challenge_group(slug: str) -> str:
    """Name the group of a challenge's watchers."""
    return f"challenge.{slug}"


def run_group(run_id: int) -> str:
    """Name the group of one run's watchers."""
    return f"run.{run_id}"


def run_layers_group(run_id: int) -> str:
    """Name the group of a run's watchers who may see its spec (layer statistics show depth)."""
    return f"run.{run_id}.layers"


def publish_run_boundary(*, run_id: int, attempt: int, frame: dict[str, Any]) -> None:
    """Tell the run's watchers its newest decision-boundary frame (≤ one per flush)."""
    publish_on_commit(run_group(run_id), {
        "type": "run.boundary", "run": run_id, "attempt": attempt, "frame": frame,
    })


def publish_run_layers(*, run_id: int, attempt: int, samples: list[dict[str, Any]]) -> None:
    """Tell the run's spec-seeing watchers the layer statistics just stored (≤ one per flush)."""
    publish_on_commit(run_layers_group(run_id), {
        "type": "run.layers", "run": run_id, "attempt": attempt, "samples": samples,
    })


def publish_run_terrain(*, run_ids: list[int], terrain: dict[str, Any]) -> None:
    """Tell the watchers of each run on a terrain that it is ready (or failed)."""
    for run_id in run_ids:
        publish_on_commit(run_group(run_id), {"type": "run.terrain", "run": run_id, **terrain})


def publish_run_epochs(*, run_id: int, records: list[dict[str, Any]], epochs: int,
                       epoch_ended_at: float = 0.0, ghost: dict[str, Any] | None = None) -> None:
    """Tell the run's own watchers about the epochs just recorded (every flush, ≤ 10/s).

    A run racing a ghost also says where the ghost is at the last of those epochs (`ghost`).
    """
    if not records:
        return
    last = records[-1]
    message = {
        "type": "run.epoch", "run": run_id, "epoch": last["epoch"], "epochs": epochs,
        "train_loss": last.get("train_loss"), "val_loss": last.get("val_loss"),
        # Anyone may watch a run: its stream carries progress, never a hyperparameter.
        "records": [public_record(r) for r in records], "at": epoch_ended_at,
    }
    if ghost is not None:
        message["ghost"] = ghost
    publish_on_commit(run_group(run_id), message)


def publish_run_progress(*, run_id: int, challenge_slug: str, user: str,
                         record: dict[str, Any], epochs: int, ranked: bool,
                         epoch_ended_at: float = 0.0, ghost: dict[str, Any] | None = None
                         ) -> None:
    """Tell a challenge's watchers where a run is: its latest epoch and losses (and ghost)."""
    message = {
        "type": "run.progress", "run": run_id, "user": user, "epoch": record["epoch"],
        "epochs": epochs, "train_loss": record.get("train_loss"),
        "val_loss": record.get("val_loss"), "ranked": ranked, "at": epoch_ended_at,
        "batch": PROGRESS_BATCH,
    }
    if ghost is not None:
        message["ghost"] = ghost
    publish_on_commit(challenge_group(challenge_slug), message)


def _what_went_wrong(run: Run) -> dict[str, Any]:
    """The run's error and diagnoses as anyone may see them (its rates blanked if private)."""
    if run_spec_visible(run, None):
        return {"error": run.error, "diagnoses": run.diagnoses}
    return {"error": redact_hyperparameters(run.error),
            "diagnoses": [{**d, "message": redact_hyperparameters(d.get("message", ""))}
                          for d in run.diagnoses or []]}


def publish_run_status(run: Run) -> None:
    """Tell the run's watchers its status and, once it is final, the challenge's watchers."""
    publish_on_commit(run_group(run.pk), {
        "type": "run.status", "run": run.pk, "status": run.status, "score": run.score,
        "val_score": run.val_score, **_what_went_wrong(run),
        "epochs_done": run.epochs_done,
    })
    if run.is_final:
        publish_on_commit(challenge_group(run.challenge.slug), {
            "type": "run.finished", "run": run.pk, "user": run.owner.username,
            "status": run.status, "score": run.score, "ranked": run.ranked,
            "batch": FINISHED_BATCH,
        })


def publish_run_queue(*, run_id: int, ahead: int | None, in_flight: int) -> None:
    """Tell the run's watchers its place among its builder's waiting runs (None: sent on)."""
    publish_on_commit(run_group(run_id), {
        "type": "run.queue", "run": run_id, "waiting": ahead is not None, "ahead": ahead,
        "max_in_flight": in_flight,
    })


def publish_run_verification(*, run_id: int, verification: dict[str, Any]) -> None:
    """Tell the run's watchers that its verification changed (pending, or the verdict)."""
    publish_on_commit(run_group(run_id), {
        "type": "run.verification", "run": run_id, "verification": verification,
    })


def publish_leaderboard(challenge: Challenge) -> None:
    """After commit, send the challenge's fresh leaderboard with the next seq, at once."""
    transaction.on_commit(lambda: publish_leaderboard_now(challenge), robust=True)


def publish_leaderboard_now(challenge: Challenge) -> list[dict[str, Any]]:
    """Publish the board now (see the module docstring); return its entries."""
    slug, top = challenge.slug, settings.LEADERBOARD_LIVE_TOP

    def build(seq: int) -> dict[str, Any]:
        entries = [entry.as_dict() for entry in leaderboard_get(challenge=challenge)]
        compact: dict[str, Any] = {
            "type": "leaderboard.update", "seq": seq, "ranked_by": challenge.ranked_by,
            "top": top, "size": min(top, len(entries)), "total": len(entries),
        }
        previous = board_cached(challenge)
        if previous is not None and previous["seq"] == seq - 1:
            changed, removed = board_delta(previous["entries"], entries, top=top)
            compact |= {"partial": True, "entries": changed, "removed": removed}
        else:
            compact["entries"] = entries[:top]
        get_redis().set(board_key(slug), json.dumps(
            {"seq": seq, "challenge": challenge.pk, "ranked_by": challenge.ranked_by,
             "entries": entries}
        ), ex=BOARD_KEPT_SECONDS)
        return {"type": "leaderboard.update", "seq": seq, "entries": entries,
                "ranked_by": challenge.ranked_by, "variants": {PROTOCOL: compact}}

    message = publish_seq_now(challenge_group(slug), build, seq_key=seq_key(slug),
                              lock_key=f"descent:leaderboard:{slug}:lock")
    return message["entries"]
