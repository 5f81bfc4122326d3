"""The home page's figures: builders online, runs training, leaderboard moves, debriefs.

Read by the home page and by its JSON twin, which the page polls every few seconds, so one
selector decides what both show. A fixed number of queries whatever the data (at most
MOVE_BOARDS leaderboards are ranked to find the moves), and one Redis round trip per room.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.utils import timezone

from challenges.models import Challenge, Run, RunStatus
from challenges.selectors.blueprint import OPEN, NodeState, blueprint_states
from challenges.selectors.leaderboards import leaderboard_get
from community.selectors.board import threads_newest
from descent.redis import get_redis

MOVES_SHOWN = 5
MOVE_BOARDS = 5  # leaderboards ranked at most, to find the moves
DEBRIEFS_SHOWN = 5
DEBRIEF_CATEGORY = "debriefs"
# descent/live/presence.py keeps one sorted set per room (the board, each challenge page), each
# member "u<id>|<channel>" or "anon|<channel>" scored by its expiry time.
PRESENCE_KEYS = "descent:presence:*"


def builders_online(*, now: float | None = None) -> int:
    """Count the distinct builders on any live page now (each anonymous tab counts once)."""
    client = get_redis()
    now = time.time() if now is None else now
    keys = list(client.scan_iter(match=PRESENCE_KEYS, count=500))
    if not keys:
        return 0
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.zrangebyscore(key, now, "+inf")
        rooms = pipe.execute()
    builders = set()
    for members in rooms:
        for raw in members:
            who, _, channel = raw.decode().partition("|")
            builders.add(who if who != "anon" else channel)
    return len(builders)


def runs_in_flight() -> dict[str, int]:
    """Count runs training now and waiting for a worker, on challenges builders can see."""
    counts = dict(
        Run.objects.filter(status__in=[RunStatus.RUNNING, RunStatus.QUEUED])
        .exclude(challenge__status=Challenge.Status.DRAFT)
        .values_list("status").annotate(n=Count("id")).order_by()
    )
    return {"running": counts.get(RunStatus.RUNNING, 0), "queued": counts.get(RunStatus.QUEUED, 0)}


@dataclass(frozen=True)
class LeaderboardMove:
    """A finished run that holds a place on its open challenge's leaderboard."""

    user: str
    challenge: str
    challenge_title: str
    metric: str
    rank: int
    score: float
    run: int
    at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {"user": self.user, "challenge": self.challenge,
                "challenge_title": self.challenge_title, "metric": self.metric,
                "rank": self.rank, "score": self.score, "run": self.run,
                "url": f"/runs/{self.run}/", "challenge_url": f"/challenges/{self.challenge}/",
                "at": self.at.isoformat()}


def leaderboard_moves(*, limit: int = MOVES_SHOWN) -> list[LeaderboardMove]:
    """Return the latest runs that took a place on an open leaderboard, newest first."""
    recent = (Run.objects.filter(ranked=True, status=RunStatus.SUCCEEDED, disqualified_reason="",
                                 finished_at__isnull=False,
                                 challenge__status=Challenge.Status.PUBLISHED)
              .select_related("challenge", "owner").order_by("-finished_at", "-pk")[: limit * 4])
    boards: dict[int, dict[int, Any]] = {}
    moves: list[LeaderboardMove] = []
    now = timezone.now()
    for run in recent:
        challenge = run.challenge
        if challenge.is_closed(now):
            continue
        if challenge.pk not in boards:
            if len(boards) >= MOVE_BOARDS:
                continue
            boards[challenge.pk] = {e.run: e for e in leaderboard_get(challenge=challenge)}
        entry = boards[challenge.pk].get(run.pk)
        if entry is None:  # not the builder's best run: it moved nothing
            continue
        moves.append(LeaderboardMove(
            user=entry.user, challenge=challenge.slug, challenge_title=challenge.title,
            metric=challenge.metric, rank=entry.rank, score=entry.score, run=run.pk,
            at=run.finished_at,
        ))
        if len(moves) >= limit:
            break
    return moves


def newest_debriefs(*, limit: int = DEBRIEFS_SHOWN) -> list[dict[str, Any]]:
    """Return the newest debrief threads of the board as plain data."""
    return [
        {"title": thread.title, "url": thread.get_absolute_url(),
         "author": thread.author.username, "replies": thread.reply_count,
         "at": thread.created_at.isoformat()}
        for thread in threads_newest(category_slug=DEBRIEF_CATEGORY, limit=limit)
    ]


def home_figures() -> dict[str, Any]:
    """Return what the home page shows live (the same for every visitor)."""
    in_flight = runs_in_flight()
    return {
        "online": builders_online(),
        "running": in_flight["running"],
        "queued": in_flight["queued"],
        "challenges_open": Challenge.objects.filter(status=Challenge.Status.PUBLISHED).count(),
        "moves": [move.as_dict() for move in leaderboard_moves()],
        "debriefs": newest_debriefs(),
    }


def start_here(states: list[NodeState]) -> NodeState | None:
    """Pick the node to start from: the first open one in map order, else the first node."""
    return next((s for s in states if s.state == OPEN), states[0] if states else None)


def home_path(*, user: Any) -> tuple[list[NodeState], NodeState | None]:
    """Return the blueprint as `user` sees it and the node to start from."""
    states = blueprint_states(user=user)
    return states, start_here(states)
