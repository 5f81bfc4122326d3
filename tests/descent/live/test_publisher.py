"""Publishing waits for the commit: through the real Redis channel layer, never announced twice."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from django.db import transaction

from descent.live.publisher import publish_on_commit, publish_seq_on_commit
from descent.redis import get_redis
from tests.support.live import GroupWatcher, watch_group

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def watcher() -> Iterator[GroupWatcher]:
    with watch_group(f"test.publish.{uuid.uuid4().hex}") as member:
        yield member


def test_a_publish_in_a_rolled_back_transaction_is_never_sent_and_a_committed_one_once(watcher):
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_on_commit(watcher.group, {"type": "test.message", "n": 1})
        raise RuntimeError("roll back")
    with transaction.atomic():
        publish_on_commit(watcher.group, {"type": "test.message", "n": 2})
        # Messages leave in order: had the rolled-back one been sent, it would be here first.
        assert watcher.received() == []  # not before the commit either
    assert watcher.received() == [{"type": "test.message", "n": 2}]


def test_a_nested_block_that_rolls_back_takes_its_publish_with_it(watcher):
    with transaction.atomic():
        publish_on_commit(watcher.group, {"type": "test.message", "n": 1})
        with pytest.raises(RuntimeError), transaction.atomic():
            publish_on_commit(watcher.group, {"type": "test.message", "n": 2})
            raise RuntimeError("roll back the savepoint")
    assert watcher.received() == [{"type": "test.message", "n": 1}]


def test_a_message_built_on_commit_sees_the_committed_state_and_a_failure_spares_the_rest(
    watcher,
):
    state = {"unread": 1}
    with transaction.atomic():
        publish_on_commit(watcher.group, lambda: {"type": "test.message", **state})
        state["unread"] = 2  # what the transaction wrote by the time it commits

        def broken() -> dict:
            raise ConnectionError("Redis went away")

        publish_on_commit(watcher.group, broken)
        publish_on_commit(watcher.group, {"type": "test.message", "after": "the failure"})
    assert watcher.received() == [{"type": "test.message", "unread": 2},
                                  {"type": "test.message", "after": "the failure"}]


def test_a_seq_message_is_numbered_once_on_commit_and_a_rollback_bumps_nothing(watcher):
    seq_key, lock_key = f"{watcher.group}:seq", f"{watcher.group}:lock"
    get_redis().set(seq_key, 41)

    def build(seq: int) -> dict:
        return {"type": "test.update", "seq": seq}

    with pytest.raises(RuntimeError), transaction.atomic():
        publish_seq_on_commit(watcher.group, build, seq_key=seq_key, lock_key=lock_key)
        raise RuntimeError("roll back")
    assert int(get_redis().get(seq_key)) == 41
    with transaction.atomic():
        publish_seq_on_commit(watcher.group, build, seq_key=seq_key, lock_key=lock_key)
        assert int(get_redis().get(seq_key)) == 41  # numbered at the commit, not before
    assert int(get_redis().get(seq_key)) == 42
    assert watcher.received() == [{"type": "test.update", "seq": 42}]
    get_redis().delete(seq_key)


BATCH = {"variant": "2", "type": "runs.progress", "key": "run", "list": "runs", "order": 0}


def test_batchable_messages_travel_in_one_envelope_and_never_overtake_the_others(watcher):
    for epoch in (1, 2, 3):  # a run's progress, well within the publisher's linger
        publish_on_commit(watcher.group, {"type": "run.progress", "run": 1, "epoch": epoch,
                                          "batch": BATCH})
    publish_on_commit(watcher.group, {"type": "leaderboard.update", "seq": 1})
    envelope, update = watcher.received()
    assert envelope["type"] == "live.envelope" and update == {"type": "leaderboard.update",
                                                              "seq": 1}
    assert [m["epoch"] for m in envelope["messages"]] == [1, 2, 3]
    publish_on_commit(watcher.group, {"type": "run.progress", "run": 1, "epoch": 4,
                                      "batch": BATCH})
    time.sleep(0.5)  # past the linger: a lone message goes as it is
    assert watcher.received() == [{"type": "run.progress", "run": 1, "epoch": 4,
                                   "batch": BATCH}]
