"""Run cards on the AI Builders Network board: attach a run to a post, show it, count forks.

Registered with community's extension points in `ChallengesConfig.ready()`, so community never
imports challenges.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.urls import reverse

from challenges.models import PostRun, Run, RunStatus
from challenges.selectors.history import run_histories
from challenges.selectors.leaderboards import leaderboards_for
from challenges.selectors.visibility import run_spec_visible
from community.attachments import AttachmentCard, AttachmentError
from community.services.threads import thread_fork_count_increment

SPARKLINE_POINTS = 60
RUN_CHOICES = 50


def run_choices_for(user: Any) -> list[tuple[int, str]]:
    """Return the poster's newest runs as (id, label) for the new-thread form's picker."""
    runs = (Run.objects.filter(owner=user).select_related("challenge")
            .order_by("-created_at", "-id")[:RUN_CHOICES])
    choices = []
    for run in runs:
        loss = f" · val loss {run.val_loss:.4g}" if run.val_loss is not None else ""
        choices.append((run.pk, f"#{run.pk} · {run.challenge.title} · {run.status}{loss}"))
    return choices


def run_for_attachment(value: Any, user: Any) -> Run:
    """Validate a `run` input: one of the poster's own runs."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise AttachmentError("give the id of one of your runs, e.g. 42")
    run = Run.objects.filter(pk=value, owner=user).first()
    if run is None:
        raise AttachmentError(f"you have no run {value}; attach one of your own runs")
    return run


def post_run_attach(post: Any, run: Run) -> None:
    """Attach the run to the post and share its spec (a debrief is about a visible config).

    The thread's fork count takes the run's forks so far; `forks_counted` adds later ones.
    """
    PostRun.objects.create(post=post, run=run)
    existing_forks = run.forks.count()
    if existing_forks:
        thread_fork_count_increment(thread_id=post.thread_id, by=existing_forks)
    if not run.shared:
        run.shared = True
        run.save(update_fields=["shared"])


def _sparklines(runs: Sequence[Run]) -> dict[int, list[float | None]]:
    histories = run_histories(runs, points=SPARKLINE_POINTS)
    return {run_id: [r.get("val_loss") for r in records]
            for run_id, records in histories.items()}


def run_cards_for_posts(posts: Sequence[Any], viewer: Any) -> Mapping[int, list[AttachmentCard]]:
    """Build the run card of every post that has one, in a fixed number of queries."""
    # A fork beats its source when it succeeded with a better validation score, "better"
    # being the challenge's direction.
    beats = Q(run__forks__status=RunStatus.SUCCEEDED) & (
        Q(run__challenge__metric_direction="max", run__forks__val_score__gt=F("run__val_score"))
        | Q(run__challenge__metric_direction="min", run__forks__val_score__lt=F("run__val_score"))
    )
    links = list(
        PostRun.objects.filter(post__in=posts)
        .select_related("run__challenge", "run__owner", "run__forked_from__owner")
        .annotate(forks=Count("run__forks", distinct=True),
                  beaten_by=Count("run__forks", filter=beats, distinct=True))
    )
    if not links:
        return {}
    runs = [link.run for link in links]
    sparklines = _sparklines(runs)
    ranks = {entry.run: entry.rank
             for entries in leaderboards_for(run.challenge for run in runs).values()
             for entry in entries}
    cards: dict[int, list[AttachmentCard]] = {}
    for link in links:
        run = link.run
        visible = run_spec_visible(run, viewer)
        data = {
            "run": run.pk,
            "url": reverse("run-page", args=[run.pk]),
            "challenge": run.challenge.slug,
            "user": run.owner.username,
            "status": run.status,
            "metric": run.challenge.metric,
            "score": run.score,
            "rank": ranks.get(run.pk),
            "spec": run.spec if visible else None,
            "diagnoses": run.diagnoses,
            "sparkline": sparklines[run.pk],
            "forked_from": None if run.forked_from is None else {
                "run": run.forked_from_id, "user": run.forked_from.owner.username},
            "forks": link.forks,
            "forks_that_beat_it": link.beaten_by,
            "fork_url": (reverse("submit-page", args=[run.challenge.slug]) + f"?fork={run.pk}"
                         if visible else None),
        }
        html = render_to_string("challenges/_run_card.html", {
            "card": data, "spec_json": json.dumps(run.spec, indent=2) if visible else "",
        })
        cards.setdefault(link.post_id, []).append(AttachmentCard(kind="run", data=data,
                                                                 html=html))
    return cards


def forks_counted(run: Run) -> None:
    """Count a new fork of `run` in every board thread that shows `run`'s card."""
    for thread_id in set(PostRun.objects.filter(run=run).values_list("post__thread_id",
                                                                      flat=True)):
        thread_fork_count_increment(thread_id=thread_id)
