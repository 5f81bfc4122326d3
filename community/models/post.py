"""Board posts: Markdown as written and the sanitised HTML rendered once, at write time."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Post(models.Model):
    """One message in a thread; the first one (`is_opening`) is the thread's body."""

    thread = models.ForeignKey("community.Thread", on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )
    is_opening = models.BooleanField(default=False)
    body_markdown = models.TextField()
    body_html = models.TextField(help_text="Rendered and sanitised from body_markdown.")
    # Kept in step with Vote rows by `post_vote` using F() updates, never read-modify-write.
    score = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        db_table = "community_post"
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["thread", "created_at"], name="post_thread_order")]

    def __str__(self) -> str:
        return f"post {self.pk} in thread {self.thread_id}"

    def get_absolute_url(self) -> str:
        return f"/board/t/{self.thread_id}/#post-{self.pk}"
