"""A changed leaderboard is announced after commit; builders it pushed down are told, once."""

from __future__ import annotations

import pytest
from django.db import transaction

from challenges.selectors.live import leaderboard_seq, seq_key
from challenges.services.leaderboards import leaderboard_announce, ranks_key
from challenges.services.live import challenge_group, publish_leaderboard
from challenges.services.runs import run_disqualify
from community.models import Notification
from descent.live.coalesce import coalescer
from descent.redis import get_redis
from tests.support.factories import make_challenge, make_run, make_user
from tests.support.live import watch_group

pytestmark = pytest.mark.django_db(transaction=True)


def announce(challenge) -> None:
    """Announce, and wait for this process's coalescer to have published and notified."""
    leaderboard_announce(challenge=challenge)
    assert coalescer().drain()


def fresh_challenge(slug: str):
    get_redis().delete(ranks_key(slug), seq_key(slug))
    return make_challenge(slug=slug)


def test_a_builder_pushed_down_is_told_by_whom_once_and_publishing_alone_writes_nothing():
    challenge = fresh_challenge("rank-told")
    ada, grace = make_user("ada"), make_user("grace")
    make_run(challenge, ada, val_score=0.8)
    announce(challenge)  # ada first: nobody to tell
    make_run(challenge, grace, val_score=0.9)
    publish_leaderboard(challenge)
    assert not Notification.objects.exists()  # a publish never writes rows
    announce(challenge)
    told = Notification.objects.get()
    assert told.recipient == ada and told.kind == "rank.beaten"
    assert told.text == "Your rank on Blobs was beaten by grace: #1 → #2."
    announce(challenge)  # nothing moved since
    assert Notification.objects.count() == 1


def test_an_announcement_in_a_rolled_back_transaction_sends_and_tells_nothing():
    challenge = fresh_challenge("rank-rollback")
    ada = make_user("ada")
    make_run(challenge, ada, val_score=0.8)
    announce(challenge)
    seq = leaderboard_seq(challenge.slug)
    with watch_group(challenge_group(challenge.slug)) as watchers:
        with pytest.raises(RuntimeError), transaction.atomic():
            make_run(challenge, make_user("grace"), val_score=0.9)
            leaderboard_announce(challenge=challenge)
            raise RuntimeError("roll back")
        assert coalescer().drain()
        assert watchers.received() == []
    assert leaderboard_seq(challenge.slug) == seq and not Notification.objects.exists()


def test_a_disqualification_is_announced_once_committed_and_lifts_the_others():
    challenge = fresh_challenge("rank-disqualified")
    ada, grace = make_user("ada"), make_user("grace")
    make_run(challenge, ada, val_score=0.8)
    cheat = make_run(challenge, grace, val_score=0.99)
    announce(challenge)
    seq = leaderboard_seq(challenge.slug)
    with watch_group(challenge_group(challenge.slug)) as watchers:
        run_disqualify(run=cheat, reason="trained on the test set")
        assert coalescer().drain()
        [update] = watchers.received()
    assert update["type"] == "leaderboard.update" and update["seq"] == seq + 1
    assert [(e["rank"], e["user"]) for e in update["entries"]] == [(1, "ada")]
    assert not Notification.objects.exists()  # moving up is not news
