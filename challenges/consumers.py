"""Live WebSockets: a challenge's leaderboard race, and one run's stream (CONTRACT §4).

Group events reach the sockets through the process's `GroupHub` (descent/live/hub.py), encoded
once for all local watchers; every database read goes through `database_sync_to_async`, so
the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from challenges.apis.serializers import run_data
from challenges.models import Challenge
from challenges.selectors.instruments import run_instruments
from challenges.selectors.live import (
    RACE_TOP,
    board_cached_async,
    board_message,
    leaderboard_board,
    leaderboard_seq_async,
    race_state,
)
from challenges.selectors.visibility import challenges_visible_to, run_spec_visible, runs_visible_to
from challenges.services.live import PROTOCOL, challenge_group, run_group, run_layers_group
from descent.live.consumer import LiveConsumer
from descent.live.hub import hub
from descent.live.process_local import per_event_loop

RACE_SHARED_SECONDS = 1.0
BOARD_SHARED_SECONDS = 0.2


@database_sync_to_async
def _visible_challenge(slug: str, user: Any) -> Challenge | None:
    return challenges_visible_to(user).filter(slug=slug).first()


def _protocol(scope: dict[str, Any]) -> str:
    """Read `?protocol=` from the socket's URL: "2" opts into the compact stream."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return "2" if query.get("protocol", [""])[-1] == "2" else ""


@per_event_loop
def _races() -> dict[tuple[int, tuple[int, ...]], tuple[float, asyncio.Future]]:
    """Return the running loop's recent anonymous race states, shared by a burst of connects."""
    return {}


async def _race(challenge: Challenge, viewer: Any, leaders: list[int]) -> dict[str, Any]:
    """Return `race_state`; for anonymous viewers one read a second per process, shared.

    Reads run in Channels' one database thread: 500 watchers arriving together would queue
    500 identical reads behind each other.
    """
    if viewer is not None and viewer.is_authenticated:
        return await database_sync_to_async(race_state)(challenge, viewer, leaders=leaders)
    races, now = _races(), time.monotonic()
    key = (challenge.pk, tuple(leaders))
    hit = races.get(key)
    if hit is None or now - hit[0] > RACE_SHARED_SECONDS or (
            hit[1].done() and hit[1].exception() is not None):
        for old in [k for k, (at, _) in races.items() if now - at > RACE_SHARED_SECONDS]:
            races.pop(old, None)
        hit = races[key] = (now, asyncio.ensure_future(
            database_sync_to_async(race_state)(challenge, None, leaders=leaders)))
    return await asyncio.shield(hit[1])


@per_event_loop
def _boards() -> dict[int, tuple[float, asyncio.Future]]:
    """Return the running loop's recent reads of kept boards, shared by a burst of resyncs."""
    return {}


async def _kept_board(challenge: Challenge) -> dict[str, Any] | None:
    """Return `board_cached_async`, read at most once per BOARD_SHARED_SECONDS per process.

    A process that fell behind makes all its watchers resync at once (the heartbeat): one
    read of the 42 KiB board then serves them all.
    """
    boards, now = _boards(), time.monotonic()
    hit = boards.get(challenge.pk)
    if hit is None or now - hit[0] > BOARD_SHARED_SECONDS or (
            hit[1].done() and hit[1].exception() is not None):
        hit = boards[challenge.pk] = (now, asyncio.ensure_future(board_cached_async(challenge)))
    board = await asyncio.shield(hit[1])
    if board is not None and board["seq"] < await leaderboard_seq_async(challenge.slug):
        # A read shared from before the update that sent this client to resync: read again,
        # so a snapshot is never older than an update already delivered.
        board = await board_cached_async(challenge)
        boards[challenge.pk] = (time.monotonic(), _done(board))
    return board


def _done(value: Any) -> asyncio.Future:
    future = asyncio.get_running_loop().create_future()
    future.set_result(value)
    return future


async def _seq_beat(slug: str) -> dict[str, Any]:
    return {"type": "leaderboard.seq", "seq": await leaderboard_seq_async(slug)}


class ChallengeConsumer(LiveConsumer):
    """`/ws/challenges/<slug>/`: snapshot on connect, then updates, progress, finishes.

    `?protocol=2` (docs/contract-additions.md#live-protocol-2): partial updates of the top rows, run
    progress batched, a seq heartbeat, and resyncs answered from the kept board alone.
    """

    has_snapshot = True

    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        self.challenge = await _visible_challenge(slug, self.scope.get("user"))
        if self.challenge is None:
            await self.refuse(4404)
            return
        self.protocol = _protocol(self.scope)
        if self.protocol:
            self.variant = PROTOCOL
            self.heartbeat = functools.partial(_seq_beat, slug)
        self.group = challenge_group(slug)
        self.room = f"challenge:{slug}"
        # Join first, then read: no update can fall between the snapshot and the stream.
        await self.join()
        await self.send_snapshot()

    async def send_snapshot(self, *, resync: bool = False) -> None:
        viewer = self.scope.get("user")
        board = await _kept_board(self.challenge)
        if board is None:
            board = await database_sync_to_async(leaderboard_board)(self.challenge)
        message = board_message(self.challenge, board, viewer, protocol=self.protocol)
        if resync and self.protocol:
            # After a gap the client needs the board, not the race again: no query at all.
            await self.post(message | {"board_only": True}, opens_stream=True)
            return
        leaders = [entry["run"] for entry in message["entries"][:RACE_TOP]]
        await self.post(message | await _race(self.challenge, viewer, leaders),
                        opens_stream=True)


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

    async def send_snapshot(self, *, resync: bool = False) -> None:
        if self.layers_group is None and resync:
            # The owner may have shared the spec since: a resync picks the statistics up.
            _visible, spec_visible = await _run_visibility(self.run_id, self.scope.get("user"))
            if spec_visible:
                await self._join_layers()
        snapshot = await _run_snapshot(self.run_id, self.scope.get("user"))
        await self.post(snapshot, opens_stream=True)

    async def leave(self) -> None:
        try:
            if self.layers_group is not None and not getattr(self, "left", False):
                await hub().unsubscribe(self.layers_group, self.deliver)
        finally:
            await super().leave()
