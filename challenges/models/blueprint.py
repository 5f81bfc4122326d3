"""The blueprint: a map of challenge nodes joined by prerequisites, each with a quiz."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class BlueprintNode(models.Model):
    """One step of the learning path: a challenge, its lesson, its quiz, its prerequisites.

    Locked until every prerequisite is cleared; cleared when the builder's run meets the
    challenge's unlock threshold on the hidden split and the builder answered the quiz right.
    """

    challenge = models.OneToOneField("challenges.Challenge", on_delete=models.CASCADE,
                                     related_name="node")
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True, default="")
    position = models.PositiveIntegerField(default=0, help_text="Order on the map.")
    prerequisites = models.ManyToManyField("self", symmetrical=False, blank=True,
                                           related_name="unlocks")
    snippet = models.JSONField(default=dict, blank=True,
                               help_text="A spec that clears the node: 'Try it' submits it.")
    careless_snippet = models.JSONField(default=dict, blank=True,
                                        help_text="A spec that does not, and why (lesson).")
    careless_why = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def slug(self) -> str:
        return self.challenge.slug


class QuizQuestion(models.Model):
    """A multiple-choice question of a node's validation quiz."""

    node = models.ForeignKey(BlueprintNode, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=50, help_text="Stable id used in answers.")
    text = models.TextField()
    explanation = models.TextField(help_text="Shown after answering.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["node", "key"], name="unique_question")]

    def __str__(self) -> str:
        return self.text[:60]


class QuizChoice(models.Model):
    question = models.ForeignKey(QuizQuestion, on_delete=models.CASCADE, related_name="choices")
    key = models.SlugField(max_length=50)
    text = models.CharField(max_length=300)
    correct = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["question", "key"],
                                               name="unique_choice")]

    def __str__(self) -> str:
        return self.text


class QuizAttempt(models.Model):
    """One submission of a node's quiz by a builder: the answers and whether all were right."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="quiz_attempts")
    node = models.ForeignKey(BlueprintNode, on_delete=models.CASCADE, related_name="attempts")
    answers = models.JSONField()
    all_correct = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "node", "all_correct"])]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.node_id}: {'passed' if self.all_correct else 'failed'}"
