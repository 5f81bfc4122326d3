"""Reports: a builder flags a post for the moderators, who handle it in the admin."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Report(models.Model):
    """A flag on a post, open until a staff member resolves it."""

    post = models.ForeignKey("community.Post", on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made"
    )
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports_resolved",
    )

    class Meta:
        db_table = "community_report"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["post", "reporter"], name="one_report_per_user_per_post"
            )
        ]

    def __str__(self) -> str:
        return f"report on post {self.post_id} by {self.reporter_id}"
