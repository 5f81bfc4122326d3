"""Votes on posts: one row per user and post, enforced by the database."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Vote(models.Model):
    """A builder's +1 or -1 on someone else's post."""

    UP = 1
    DOWN = -1

    post = models.ForeignKey("community.Post", on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes"
    )
    value = models.SmallIntegerField(choices=[(UP, "up"), (DOWN, "down")], default=UP)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "community_vote"
        constraints = [
            # The only thing that makes two concurrent votes count once.
            models.UniqueConstraint(fields=["post", "user"], name="one_vote_per_user_per_post"),
            models.CheckConstraint(
                condition=models.Q(value__in=[1, -1]), name="vote_value_is_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.value:+d} on post {self.post_id}"
