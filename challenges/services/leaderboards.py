"""Leaderboard writes: announce a changed leaderboard, tell builders who lost their rank.

Leaderboards are read from the kept board (`BestEntry`, written by services/best_entries.py
in the transactions that change a run's standing; `manage.py leaderboard_check` proves it
equal to a recompute). What is stored here is what each builder was last told: the ranks of
the last announced leaderboard (a Redis hash per challenge), so that the next one can say who
was pushed down.
"""

from __future__ import annotations

from django.db import transaction

from challenges.models import Challenge
from challenges.selectors.leaderboards import LeaderboardEntry, leaderboard_get
from challenges.services.live import publish_leaderboard_now
from community.models import User
from community.services.notifications import notification_create
from descent.live.publisher import publish_coalesced_on_commit
from descent.redis import get_redis


def leaderboard_announce(*, challenge: Challenge) -> None:
    """After commit: send the challenge's watchers its leaderboard, then notify who fell.

    Coalesced per challenge (descent/live/coalesce.py): a burst of finishes in one process
    publishes the board at most once per LEADERBOARD_UPDATE_SECONDS, the last state always,
    from the process's coalescer thread; the caller (a worker's finishing run) never waits
    for the query, the lock or Redis. Neither can fail the work that changed the board: a
    failure is logged.
    """
    challenge_id = challenge.pk
    publish_coalesced_on_commit(f"leaderboard:{challenge.slug}",
                                lambda: leaderboard_announce_now(challenge_id=challenge_id))


def leaderboard_announce_now(*, challenge_id: int) -> None:
    """Publish the challenge's board and notify who fell, now (the coalesced job)."""
    challenge = Challenge.objects.get(pk=challenge_id)
    publish_leaderboard_now(challenge)
    notify_rank_beaten(challenge=challenge)


def leaderboard_recompute(*, challenge: Challenge) -> list[LeaderboardEntry]:
    """Rank the challenge's runs afresh, tell everyone watching, and return the entries."""
    leaderboard_announce(challenge=challenge)
    return leaderboard_get(challenge=challenge)


def ranks_key(slug: str) -> str:
    """Name the Redis hash of the ranks (username → rank) last announced for a challenge."""
    return f"descent:leaderboard:{slug}:ranks"


def notify_rank_beaten(*, challenge: Challenge) -> None:
    """Tell each builder whom the leaderboard pushed down since it was last announced, and by whom.

    Under a Redis lock, so that two runs finishing at once compare consecutive leaderboards,
    not the same one twice; the stored ranks move on only once the notifications are written.
    """
    redis = get_redis()
    key = ranks_key(challenge.slug)
    with redis.lock(f"{key}:lock", timeout=10, blocking_timeout=10):
        after = {entry.user: entry.rank for entry in leaderboard_get(challenge=challenge)}
        before = {user.decode(): int(rank) for user, rank in redis.hgetall(key).items()}
        pushed = {user: (before[user], rank) for user, rank in after.items()
                  if user in before and rank > before[user]}
        if pushed:
            climbers = [user for user, rank in after.items()
                        if user not in before or rank < before[user]]
            by = f" by {', '.join(climbers)}" if climbers else ""
            with transaction.atomic():
                for builder in User.objects.filter(username__in=pushed):
                    old, new = pushed[builder.username]
                    notification_create(
                        recipient=builder, kind="rank.beaten",
                        text=f"Your rank on {challenge.title} was beaten{by}: #{old} → #{new}.",
                        url=f"/challenges/{challenge.slug}/",
                    )
        with redis.pipeline() as pipe:  # MULTI/EXEC: never an empty hash in between
            pipe.delete(key)
            if after:
                pipe.hset(key, mapping=after)
            pipe.execute()
