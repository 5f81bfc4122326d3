"""Board threads: a title, a category and an opening post followed by replies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse


class Thread(models.Model):
    """A conversation on the board; its first post (`is_opening`) carries the body."""

    category = models.ForeignKey(
        "community.Category", on_delete=models.PROTECT, related_name="threads"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="threads"
    )
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    last_post_at = models.DateTimeField(db_index=True)
    reply_count = models.PositiveIntegerField(default=0)
    # Bumped by the challenges app through `thread_fork_count_increment` when someone forks
    # the config of a run attached to this thread; community itself knows nothing of runs.
    fork_count = models.PositiveIntegerField(default=0)
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False)

    class Meta:
        db_table = "community_thread"
        indexes = [models.Index(fields=["-is_pinned", "-last_post_at"], name="thread_board_order")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("board-thread", kwargs={"thread_id": self.pk})
