"""The custom user model, in place from the first migration so that it can grow."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A builder: someone who trains networks, posts debriefs and climbs leaderboards."""

    bio = models.TextField(blank=True, default="")

    class Meta:
        db_table = "community_user"

    def __str__(self) -> str:
        return self.username
