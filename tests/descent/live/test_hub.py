"""The hub's fan-out: each variant its form, batched progress in order, heartbeats, no leftovers."""

from __future__ import annotations

import asyncio
import json

from django.test import override_settings

from descent.live.hub import GroupHub

BATCH = {"variant": "2", "type": "runs.progress", "key": "run", "list": "runs"}


class Member:
    def __init__(self) -> None:
        self.got: list[dict] = []

    def __call__(self, text: str) -> None:
        self.got.append(json.loads(text))


class Layer:
    """Just enough of a channel layer for subscribe/unsubscribe; messages come by dispatch."""

    async def new_channel(self) -> str:
        return "specific.test!one"

    async def group_add(self, group: str, channel: str) -> None:
        pass

    async def group_discard(self, group: str, channel: str) -> None:
        pass

    async def receive(self, channel: str) -> dict:
        await asyncio.Event().wait()
        raise AssertionError("never")


def progress(run: int, epoch: int) -> dict:
    return {"type": "run.progress", "run": run, "epoch": epoch, "batch": BATCH}


def test_each_variant_gets_its_form_and_progress_is_batched_in_order_for_protocol_2():
    async def scenario() -> tuple[Member, Member, int]:
        hub = GroupHub()
        hub.layer = Layer()
        old, new = Member(), Member()
        await hub.subscribe("g", old)
        await hub.subscribe("g", new, variant="2")
        for epoch in (1, 2, 3):
            hub.dispatch("g", progress(7, epoch))
            hub.dispatch("g", progress(8, epoch))
        hub.dispatch("g", {"type": "run.finished", "run": 7})  # flushes 7's progress first
        hub.dispatch("g", {"type": "leaderboard.update", "seq": 1, "entries": ["all"],
                           "variants": {"2": {"type": "leaderboard.update", "seq": 1,
                                              "partial": True, "entries": []}}})
        await asyncio.sleep(0.15)  # the batch of 8's progress is flushed by its timer
        await hub.unsubscribe("g", old)
        await hub.unsubscribe("g", new)
        await asyncio.sleep(0)
        return old, new, hub.tasks()

    with override_settings(LIVE_BATCH_SECONDS=0.05, LIVE_HEARTBEAT_SECONDS=10):
        old, new, tasks = asyncio.run(scenario())
    # The first protocol: every message as published, without the hub's instructions.
    assert [m["type"] for m in old.got] == ["run.progress"] * 6 + ["run.finished",
                                                                   "leaderboard.update"]
    assert "batch" not in old.got[0] and old.got[-1]["entries"] == ["all"]
    # Protocol 2: the latest epoch of each run in one message, before the run's finish.
    assert [m["type"] for m in new.got] == ["runs.progress", "run.finished",
                                            "leaderboard.update"]
    assert new.got[0]["runs"] == [{"run": 7, "epoch": 3}, {"run": 8, "epoch": 3}]
    assert new.got[2]["partial"] is True
    assert tasks == 0  # the reader, flushers and heartbeats went with the last member


def test_a_heartbeat_sends_what_its_source_said_one_beat_earlier_to_protocol_2_only():
    reads = iter(range(1, 100))

    async def source() -> dict:
        return {"type": "leaderboard.seq", "seq": next(reads)}

    async def scenario() -> tuple[Member, Member]:
        hub = GroupHub()
        hub.layer = Layer()
        old, new = Member(), Member()
        await hub.subscribe("g", old)
        await hub.subscribe("g", new, variant="2", heartbeat=source)
        await asyncio.sleep(0.35)
        await hub.unsubscribe("g", new)
        await hub.unsubscribe("g", old)
        return old, new

    with override_settings(LIVE_HEARTBEAT_SECONDS=0.1):
        old, new = asyncio.run(scenario())
    assert old.got == []
    assert [m["seq"] for m in new.got][:2] == [1, 2]  # the first beat only reads
