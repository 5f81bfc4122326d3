"""Board categories, curated by staff in the admin."""

from __future__ import annotations

from django.db import models


class Category(models.Model):
    """A section of the AI Builders Network board, e.g. Debriefs or Help."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True, default="")
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower comes first.")
    staff_only = models.BooleanField(
        default=False, help_text="Only staff may start threads here (e.g. Announcements)."
    )

    class Meta:
        db_table = "community_category"
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name
