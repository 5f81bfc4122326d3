"""What a watcher gets on connect: the leaderboard with its seq, runs in flight, curves.

`seq` numbers a challenge's leaderboard messages: one Redis counter per challenge, bumped
only by `challenges/services/live.py:publish_leaderboard`, read here.
"""

from __future__ import annotations

from typing import Any

from challenges.models import Challenge, Run, RunStatus
from challenges.selectors.ghosts import ghost_curves
from challenges.selectors.history import run_histories
from challenges.selectors.leaderboards import leaderboard_get
from descent.redis import get_redis

RACE_TOP = 5
RACE_OWN = 5
CURVE_POINTS = 200


def seq_key(slug: str) -> str:
    """Name the Redis counter of the challenge's leaderboard messages."""
    return f"descent:leaderboard:{slug}:seq"


def leaderboard_seq(slug: str) -> int:
    """Return the seq of the latest leaderboard message of the challenge."""
    return int(get_redis().get(seq_key(slug)) or 0)


def _curves(runs: list[Run]) -> dict[int, list[dict[str, Any]]]:
    """Per run, its loss curve so far, thinned to about CURVE_POINTS epochs."""
    return {
        run_id: [{"epoch": r["epoch"], "train_loss": r.get("train_loss"),
                  "val_loss": r.get("val_loss")} for r in records]
        for run_id, records in run_histories(runs, points=CURVE_POINTS).items()
    }


def challenge_snapshot(challenge: Challenge, viewer: Any) -> dict[str, Any]:
    """Build `leaderboard.snapshot`: seq first, then the entries (fresher than seq)."""
    seq = leaderboard_seq(challenge.slug)
    entries = [entry.as_dict() for entry in leaderboard_get(challenge=challenge)]
    in_flight = list(
        Run.objects.filter(challenge=challenge, status=RunStatus.RUNNING)
        .select_related("owner").order_by("-started_at")[:50]
    )
    race_ids = [entry["run"] for entry in entries[:RACE_TOP]]
    if viewer is not None and viewer.is_authenticated:
        race_ids += list(Run.objects.filter(challenge=challenge, owner=viewer)
                         .order_by("-created_at").values_list("pk", flat=True)[:RACE_OWN])
    race_ids += [run.pk for run in in_flight[:RACE_TOP]]
    race = list(Run.objects.filter(pk__in=set(race_ids)).select_related("owner"))
    curves = _curves(race)
    return {
        "type": "leaderboard.snapshot",
        "seq": seq,
        "challenge": challenge.slug,
        "ranked_by": challenge.ranked_by,
        "entries": entries,
        "running": [
            {"run": run.pk, "user": run.owner.username, "epoch": run.epochs_done,
             "epochs": run.spec.get("epochs"), "train_loss": run.train_loss,
             "val_loss": run.val_loss, "ranked": run.ranked, "ghost_run": run.ghost_run_id}
            for run in in_flight
        ],
        "curves": [
            {"run": run.pk, "user": run.owner.username, "status": run.status,
             "mine": bool(viewer is not None and viewer.is_authenticated
                          and run.owner_id == viewer.pk),
             "records": curves[run.pk]}
            for run in race
        ],
        # Each run in flight that races a ghost: the ghost's curve as far as the race came.
        "ghosts": [{"racer": racer, **ghost} for racer, ghost in
                   ghost_curves(in_flight[:RACE_TOP], points=CURVE_POINTS).items()],
    }
