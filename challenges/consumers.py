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
from challenges.selectors.instruments import run_instruments
from challenges.selectors.live import challenge_snapshot
from challenges.selectors.visibility import challenges_visible_to, run_spec_visible, runs_visible_to
from challenges.services.live import challenge_group, run_group, run_layers_group
from descent.live.consumer import LiveConsumer
from descent.live.hub import hub


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
def _run_visibility(run_id: int, user: Any) -> tuple[bool, bool]:
    """Return (may see the run, may see its spec)."""
    run = runs_visible_to(user).filter(pk=run_id).first()
    return (False, False) if run is None else (True, run_spec_visible(run, user))


@database_sync_to_async
def _run_snapshot(run_id: int, user: Any) -> dict[str, Any] | None:
    run = runs_visible_to(user).filter(pk=run_id).first()
    if run is None:
        return None
    return {"type": "run.snapshot", "run": run_data(run, user, with_history=True),
            "instruments": run_instruments(run, user)}


class RunConsumer(LiveConsumer):
    """`/ws/runs/<id>/`: `run.snapshot` (status, history, instruments so far), then epochs,
    boundary frames, layer statistics (to viewers who may see the spec), terrain, status."""

    layers_group: str | None = None

    async def connect(self) -> None:
        self.run_id = int(self.scope["url_route"]["kwargs"]["run_id"])
        visible, spec_visible = await _run_visibility(self.run_id, self.scope.get("user"))
        if not visible:
            await self.refuse(4404)
            return
        self.group = run_group(self.run_id)
        await self.join()
        if spec_visible:
            await self._join_layers()
        await self.send_snapshot()

    has_snapshot = True

    async def _join_layers(self) -> None:
        # A second group on the same socket: layer statistics show the depth, so they go
        # only to viewers who may see the spec; joined before the snapshot is read.
        self.layers_group = run_layers_group(self.run_id)
        await hub().subscribe(self.layers_group, self.deliver)

    async def send_snapshot(self) -> None:
        if self.layers_group is None:
            # The owner may have shared the spec since: a resync picks the statistics up.
            _visible, spec_visible = await _run_visibility(self.run_id, self.scope.get("user"))
            if spec_visible:
                await self._join_layers()
        snapshot = await _run_snapshot(self.run_id, self.scope.get("user"))
        await self.send_json(snapshot)
        self.stream_open.set()

    async def disconnect(self, code: int) -> None:
        try:
            if self.layers_group is not None:
                await hub().unsubscribe(self.layers_group, self.deliver)
        finally:
            await super().disconnect(code)


