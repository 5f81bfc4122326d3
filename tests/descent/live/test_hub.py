"""The hub's fan-out: each variant its form, batched progress in order, heartbeats, no leftovers."""

from __future__ import annotations

import asyncio
import json

from django.test import override_settings

from descent.live.hub import GroupHub

BATCH = {"variant": "2", "type": "runs.progress", "key": "run", "list": "runs", "order": 0}
FINISHED = {"variant": "2", "type": "runs.finished", "key": "run", "list": "runs", "order": 1}


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
        hub.dispatch("g", {"type": "run.finished", "run": 8, "batch": FINISHED})
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
    assert [m["type"] for m in old.got] == ["run.progress"] * 6 + ["run.finished"] * 2 + [
        "leaderboard.update"]
    assert "batch" not in old.got[0] and old.got[-1]["entries"] == ["all"]
    # Protocol 2: the latest epoch of each run in one message, before the run's finish.
    # A batched finish waits in its own batch, flushed after the progress batch.
    assert [m["type"] for m in new.got] == ["runs.progress", "runs.finished", "run.finished",
                                            "leaderboard.update"]
    assert new.got[0]["runs"] == [{"run": 7, "epoch": 3}, {"run": 8, "epoch": 3}]
    assert new.got[1]["runs"] == [{"run": 8}]
    assert new.got[3]["partial"] is True
    assert tasks == 0  # the reader, flushers and heartbeats went with the last member


def test_heartbeats_follow_a_pause_with_the_seq_fanned_out_or_the_lost_one_from_the_source():
    said = {"seq": 5}

    async def source() -> dict:
        return {"type": "leaderboard.seq", "seq": said["seq"]}

    async def scenario() -> tuple[Member, Member]:
        hub = GroupHub()
        hub.layer = Layer()
        old, new = Member(), Member()
        await hub.subscribe("g", old)
        await hub.subscribe("g", new, variant="2", heartbeat=source)
        for seq in range(1, 6):  # a stream of updates: no heartbeat while it flows
            hub.dispatch("g", {"type": "leaderboard.update", "seq": seq})
            await asyncio.sleep(0.04)
        await asyncio.sleep(1.0)  # a pause: the seq, for a few beats, then rarely
        said["seq"] = 9  # published, but this process never got it
        await asyncio.sleep(1.6)
        await hub.unsubscribe("g", new)
        await hub.unsubscribe("g", old)
        return old, new

    with override_settings(LIVE_HEARTBEAT_SECONDS=0.1):
        old, new = asyncio.run(scenario())
    assert [m["type"] for m in old.got] == ["leaderboard.update"] * 5  # first protocol: none
    beats = [m["seq"] for m in new.got if m["type"] == "leaderboard.seq"]
    first = beats[:beats.index(9)] if 9 in beats else beats
    assert set(first) == {5} and 3 <= len(first) <= 7  # every beat for ~5 beats, then quiet
    assert 9 in beats  # the source stayed ahead for 10 beats: the process lost seq 6-9
