"""A board post's run card: the run a builder attached to a thread or reply."""

from __future__ import annotations

from django.db import models


class PostRun(models.Model):
    """Links one board post to one of its author's runs (attaching shares the run's spec)."""

    post = models.OneToOneField("community.Post", on_delete=models.CASCADE,
                                related_name="run_card")
    run = models.ForeignKey("challenges.Run", on_delete=models.CASCADE,
                            related_name="post_cards")

    def __str__(self) -> str:
        return f"post {self.post_id} → run {self.run_id}"
