"""What watchers are told, and when: every epoch flush, every status, every rank change.

Groups (dotted, as the Channels docs name them): `challenge.<slug>` for a challenge's live
leaderboard, `run.<id>` for one run's stream. Everything here is called after the database
commit it announces, so a broadcast never shows what a rollback undid.

Leaderboard messages carry `seq`, one Redis counter per challenge. The counter is bumped and
the entries computed under a Redis lock, and the message is handed to Redis before the lock
is released, so a higher `seq` always carries entries at least as fresh as a lower one.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from challenges.models import Challenge, Run, RunStatus
from challenges.selectors.history import public_record, redact_hyperparameters
from challenges.selectors.leaderboards import LeaderboardEntry, leaderboard_get
from challenges.selectors.visibility import run_spec_visible
from community.models import User
from community.services.notifications import notification_create
from descent.live import publisher
from descent.redis import get_redis


def challenge_group(slug: str) -> str:
    return f"challenge.{slug}"


def run_group(run_id: int) -> str:
    return f"run.{run_id}"


def seq_key(slug: str) -> str:
    return f"descent:leaderboard:{slug}:seq"


def leaderboard_seq(slug: str) -> int:
    """Return the seq of the latest leaderboard message of the challenge."""
    return int(get_redis().get(seq_key(slug)) or 0)


def publish_run_epochs(*, run_id: int, records: list[dict[str, Any]], epochs: int,
                       epoch_ended_at: float = 0.0) -> None:
    """Tell the run's own watchers about the epochs just recorded (every flush, ≤ 10/s)."""
    if not records:
        return
    last = records[-1]
    publisher().send(run_group(run_id), {
        "type": "run.epoch", "run": run_id, "epoch": last["epoch"], "epochs": epochs,
        "train_loss": last.get("train_loss"), "val_loss": last.get("val_loss"),
        # Anyone may watch a run: its stream carries progress, never a hyperparameter.
        "records": [public_record(r) for r in records], "at": epoch_ended_at,
    })


def publish_run_progress(*, run_id: int, challenge_slug: str, user: str,
                         record: dict[str, Any], epochs: int, ranked: bool,
                         epoch_ended_at: float = 0.0) -> None:
    """Tell a challenge's watchers where a run is: its latest epoch and losses."""
    publisher().send(challenge_group(challenge_slug), {
        "type": "run.progress", "run": run_id, "user": user, "epoch": record["epoch"],
        "epochs": epochs, "train_loss": record.get("train_loss"),
        "val_loss": record.get("val_loss"), "ranked": ranked, "at": epoch_ended_at,
    })


def _what_went_wrong(run: Run) -> dict[str, Any]:
    """The run's error and diagnoses as anyone may see them (its rates blanked if private)."""
    if run_spec_visible(run, None):
        return {"error": run.error, "diagnoses": run.diagnoses}
    return {"error": redact_hyperparameters(run.error),
            "diagnoses": [{**d, "message": redact_hyperparameters(d.get("message", ""))}
                          for d in run.diagnoses or []]}


def publish_run_status(run: Run) -> None:
    """After commit: tell the run's and the challenge's watchers its status, and re-rank."""

    def send() -> None:
        score = run.score
        publisher().send(run_group(run.pk), {
            "type": "run.status", "run": run.pk, "status": run.status, "score": score,
            "val_score": run.val_score, **_what_went_wrong(run),
            "epochs_done": run.epochs_done,
        })
        if run.is_final:
            publisher().send(challenge_group(run.challenge.slug), {
                "type": "run.finished", "run": run.pk, "user": run.owner.username,
                "status": run.status, "score": score, "ranked": run.ranked,
            })
            if run.status == RunStatus.SUCCEEDED and run.ranked:
                publish_leaderboard(run.challenge)

    transaction.on_commit(send)


def publish_leaderboard(challenge: Challenge) -> list[LeaderboardEntry]:
    """Send the challenge's fresh leaderboard with the next seq (see the module docstring).

    Return the entries it sent.
    """
    redis = get_redis()
    with redis.lock(f"descent:leaderboard:{challenge.slug}:lock", timeout=10,
                    blocking_timeout=10):
        seq = redis.incr(seq_key(challenge.slug))
        ranked = leaderboard_get(challenge=challenge)
        entries = [entry.as_dict() for entry in ranked]
        ranks = {entry["user"]: entry["rank"] for entry in entries}
        previous = redis.hgetall(ranks_key(challenge.slug))
        redis.delete(ranks_key(challenge.slug))
        if ranks:
            redis.hset(ranks_key(challenge.slug), mapping=ranks)
        publisher().send_and_wait(challenge_group(challenge.slug), {
            "type": "leaderboard.update", "seq": seq, "entries": entries,
            "ranked_by": challenge.ranked_by,
        })
    notify_rank_beaten(challenge, {k.decode(): int(v) for k, v in previous.items()}, ranks)
    return ranked


def ranks_key(slug: str) -> str:
    return f"descent:leaderboard:{slug}:ranks"


def notify_rank_beaten(challenge: Challenge, before: dict[str, int],
                       after: dict[str, int]) -> None:
    """Tell each builder who was pushed down the leaderboard, and by whom."""
    pushed = {user: (before[user], rank) for user, rank in after.items()
              if user in before and rank > before[user]}
    if not pushed:
        return
    climbers = [user for user, rank in after.items()
                if user not in before or rank < before[user]]
    by = f" by {', '.join(climbers)}" if climbers else ""
    for builder in User.objects.filter(username__in=pushed):
        old, new = pushed[builder.username]
        notification_create(
            recipient=builder, kind="rank.beaten",
            text=f"Your rank on {challenge.title} was beaten{by}: #{old} → #{new}.",
            url=f"/challenges/{challenge.slug}/",
        )
