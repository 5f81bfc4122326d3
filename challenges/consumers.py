"""Live WebSockets: a challenge's leaderboard race, and one run's stream (CONTRACT §4).

Group events reach the sockets through the process's `GroupHub` (descent/live/hub.py), encoded
once for all local watchers; every database read goes through `database_sync_to_async`, so
the event loop never blocks.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from challenges.apis.serializers import run_data
from challenges.models import Challenge
from challenges.selectors.live import challenge_snapshot
from challenges.selectors.visibility import challenges_visible_to, runs_visible_to
from challenges.services.live import challenge_group, run_group
from descent.live.consumer import LiveConsumer


@database_sync_to_async
def _visible_challenge(slug: str, user: Any) -> Challenge | None:
    return challenges_visible_to(user).filter(slug=slug).first()


class ChallengeConsumer(LiveConsumer):
    """`/ws/challenges/<slug>/`: snapshot on connect, then updates, progress, finishes."""

    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        self.challenge = await _visible_challenge(slug, self.scope.get("user"))
        if self.challenge is None:
            await self.refuse(4404)
            return
        self.group = challenge_group(slug)
        self.room = f"challenge:{slug}"
        # Join first, then read: no update can fall between the snapshot and the stream.
        await self.join()
        await self.send_snapshot()

    has_snapshot = True

    async def send_snapshot(self) -> None:
        await self.send_json(
            await database_sync_to_async(challenge_snapshot)(self.challenge,
                                                             self.scope.get("user"))
        )
        self.stream_open.set()





@database_sync_to_async
def _run_visible(run_id: int, user: Any) -> bool:
    return runs_visible_to(user).filter(pk=run_id).exists()


@database_sync_to_async
def _run_snapshot(run_id: int, user: Any) -> dict[str, Any] | None:
    run = runs_visible_to(user).filter(pk=run_id).first()
    if run is None:
        return None
    return {"type": "run.snapshot", "run": run_data(run, user, with_history=True)}


class RunConsumer(LiveConsumer):
    """`/ws/runs/<id>/`: `run.snapshot` (status and history so far), then epochs and status."""

    async def connect(self) -> None:
        self.run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        if not await _run_visible(self.run_id, self.scope.get("user")):
            await self.refuse(4404)
            return
        self.group = run_group(self.run_id)
        await self.join()
        await self.send_snapshot()

    has_snapshot = True

    async def send_snapshot(self) -> None:
        snapshot = await _run_snapshot(self.run_id, self.scope.get("user"))
        await self.send_json(snapshot)
        self.stream_open.set()


