"""What a watcher gets on connect: the leaderboard with its seq, runs in flight, curves.

`seq` numbers a challenge's leaderboard messages: one Redis counter per challenge, bumped
only by `challenges/services/live.py` (`publish_leaderboard_now`), read here. The same
publisher keeps the board it last sent, with its seq, in one Redis key (written under the
same lock), so a snapshot costs one GET instead of a leaderboard query; without it (nothing
published yet, or the challenge closed since and ranks by another score) the board is read
from the kept leaderboard (`leaderboard_get`).

Protocol 2 (`?protocol=2`, docs/contract-additions.md#live-protocol-2) gets the top
`LEADERBOARD_LIVE_TOP` rows, the viewer's own row (`own`) and the board's length (`total`);
the first protocol gets every row.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from challenges.models import Challenge, Run, RunStatus
from challenges.selectors.ghosts import ghost_curves
from challenges.selectors.history import run_histories
from challenges.selectors.leaderboards import leaderboard_get
from descent.redis import get_async_redis, get_redis

RACE_TOP = 5
RACE_OWN = 5
CURVE_POINTS = 200


def seq_key(slug: str) -> str:
    """Name the Redis counter of the challenge's leaderboard messages."""
    return f"descent:leaderboard:{slug}:seq"


def board_key(slug: str) -> str:
    """Name the Redis key of the last board published for the challenge (JSON, with seq)."""
    return f"descent:leaderboard:{slug}:board"


def leaderboard_seq(slug: str) -> int:
    """Return the seq of the latest leaderboard message of the challenge."""
    return int(get_redis().get(seq_key(slug)) or 0)


async def leaderboard_seq_async(slug: str) -> int:
    """Return the seq of the latest leaderboard message, from an event loop."""
    return int(await get_async_redis().get(seq_key(slug)) or 0)


def _fresh(raw: bytes | None, challenge: Challenge) -> dict[str, Any] | None:
    if raw is None:
        return None
    board = json.loads(raw)
    # Kept for this challenge (not one deleted under the same slug), ranked as it ranks now.
    if board.get("challenge") != challenge.pk or board.get("ranked_by") != challenge.ranked_by:
        return None
    return board


def board_cached(challenge: Challenge) -> dict[str, Any] | None:
    """Return the last published board ({"seq", "ranked_by", "entries"}) if still valid."""
    return _fresh(get_redis().get(board_key(challenge.slug)), challenge)


async def board_cached_async(challenge: Challenge) -> dict[str, Any] | None:
    """Return the last published board, read from an event loop (no thread, no query)."""
    return _fresh(await get_async_redis().get(board_key(challenge.slug)), challenge)


def leaderboard_board(challenge: Challenge) -> dict[str, Any]:
    """Return {"seq", "ranked_by", "entries"}: the cached board, else computed now.

    Computed: seq first, then the entries, which are then at least as fresh as seq.
    """
    cached = board_cached(challenge)
    if cached is not None:
        return cached
    seq = leaderboard_seq(challenge.slug)
    return {"seq": seq, "ranked_by": challenge.ranked_by,
            "entries": [entry.as_dict() for entry in leaderboard_get(challenge=challenge)]}


def board_message(challenge: Challenge, board: dict[str, Any], viewer: Any, *,
                  protocol: str = "") -> dict[str, Any]:
    """Build the board part of `leaderboard.snapshot` for a viewer in a protocol."""
    entries = board["entries"]
    message: dict[str, Any] = {
        "type": "leaderboard.snapshot", "seq": board["seq"], "challenge": challenge.slug,
        "ranked_by": board["ranked_by"], "entries": entries,
    }
    if protocol == "2":
        top = settings.LEADERBOARD_LIVE_TOP
        name = viewer.username if viewer is not None and viewer.is_authenticated else None
        message |= {
            "entries": entries[:top], "top": top, "total": len(entries),
            "own": next((entry for entry in entries if entry["user"] == name), None),
        }
    return message


def _curves(runs: list[Run]) -> dict[int, list[dict[str, Any]]]:
    """Per run, its loss curve so far, thinned to about CURVE_POINTS epochs."""
    return {
        run_id: [{"epoch": r["epoch"], "train_loss": r.get("train_loss"),
                  "val_loss": r.get("val_loss")} for r in records]
        for run_id, records in run_histories(runs, points=CURVE_POINTS).items()
    }


def race_state(challenge: Challenge, viewer: Any, *, leaders: list[int]) -> dict[str, Any]:
    """Return the runs in flight and the race's curves: the leaders', the viewer's, the newest."""
    in_flight = list(
        Run.objects.filter(challenge=challenge, status=RunStatus.RUNNING)
        .select_related("owner").order_by("-started_at")[:50]
    )
    race_ids = list(leaders)
    if viewer is not None and viewer.is_authenticated:
        race_ids += list(Run.objects.filter(challenge=challenge, owner=viewer)
                         .order_by("-created_at").values_list("pk", flat=True)[:RACE_OWN])
    race_ids += [run.pk for run in in_flight[:RACE_TOP]]
    race = list(Run.objects.filter(pk__in=set(race_ids)).select_related("owner"))
    curves = _curves(race)
    return {
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
