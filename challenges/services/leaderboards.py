"""Leaderboard writes: announce a changed leaderboard, tell builders who lost their rank.

Leaderboards are computed from the runs on every read, so there is no stored ranking to go
stale. What is stored is what each builder was last told: the ranks of the last announced
leaderboard (a Redis hash per challenge), so that the next one can say who was pushed down.
"""

from __future__ import annotations

from django.db import transaction

from challenges.models import Challenge
from challenges.selectors.leaderboards import LeaderboardEntry, leaderboard_get
from challenges.services.live import publish_leaderboard
from community.models import User
from community.services.notifications import notification_create
from descent.redis import get_redis


def leaderboard_announce(*, challenge: Challenge) -> None:
    """After commit: send the challenge's watchers its leaderboard, then notify who fell.

    Neither can fail the work that changed the board (a worker's finished run still goes on
    to its blueprint step): a failure is logged.
    """
    publish_leaderboard(challenge)
    transaction.on_commit(lambda: notify_rank_beaten(challenge=challenge), robust=True)


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
