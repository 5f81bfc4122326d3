"""Run cards on the AI Builders Network board: attach a run to a post, show it, count forks.

Registered with community's extension points in `ChallengesConfig.ready()`, so community never
imports challenges.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse

from challenges.models import PostRun, Run, RunHistoryChunk, RunStatus
from challenges.selectors.leaderboards import leaderboard_get
from challenges.selectors.runs import run_spec_visible
from community.attachments import AttachmentCard, AttachmentError

SPARKLINE_POINTS = 60


def run_for_attachment(value: Any, user: Any) -> Run:
    """Validate a `run` input: one of the poster's own runs."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise AttachmentError("give the id of one of your runs, e.g. 42")
    run = Run.objects.filter(pk=value, owner=user).first()
    if run is None:
        raise AttachmentError(f"you have no run {value}; attach one of your own runs")
    return run


def post_run_attach(post: Any, run: Run) -> None:
    """Attach the run to the post and share its spec (a debrief is about a visible config)."""
    PostRun.objects.create(post=post, run=run)
    if not run.shared:
        run.shared = True
        run.save(update_fields=["shared"])


def _sparklines(runs: Sequence[Run]) -> dict[int, list[float | None]]:
    points: dict[int, list[float | None]] = {run.pk: [] for run in runs}
    attempts = {run.pk: run.attempt for run in runs}
    rows = RunHistoryChunk.objects.filter(run_id__in=points).order_by("run_id", "first_epoch")
    for run_id, attempt, records in rows.values_list("run_id", "attempt", "records"):
        if attempt == attempts[run_id]:
            points[run_id].extend(r.get("val_loss") for r in records)
    for run_id, values in points.items():
        step = max(1, -(-len(values) // SPARKLINE_POINTS))
        points[run_id] = values[::step]
    return points


def run_cards_for_posts(posts: Sequence[Any], viewer: Any) -> Mapping[int, list[AttachmentCard]]:
    """Build the run card of every post that has one, in a fixed number of queries."""
    links = list(
        PostRun.objects.filter(post__in=posts)
        .select_related("run__challenge", "run__owner", "run__forked_from__owner")
        .annotate(forks=Count("run__forks", distinct=True))
    )
    if not links:
        return {}
    runs = [link.run for link in links]
    sparklines = _sparklines(runs)
    ranks: dict[int, int] = {}
    for challenge in {run.challenge for run in runs}:
        ranks.update({entry.run: entry.rank for entry in leaderboard_get(challenge=challenge)})
    cards: dict[int, list[AttachmentCard]] = {}
    for link in links:
        run = link.run
        beaten_by = _forks_that_beat(run)
        visible = run_spec_visible(run, viewer)
        data = {
            "run": run.pk,
            "url": reverse("run-page", args=[run.pk]),
            "challenge": run.challenge.slug,
            "user": run.owner.username,
            "status": run.status,
            "metric": run.challenge.metric,
            "score": run.test_score if run.challenge.is_closed() else run.val_score,
            "rank": ranks.get(run.pk),
            "spec": run.spec if visible else None,
            "diagnoses": run.diagnoses,
            "sparkline": sparklines[run.pk],
            "forked_from": None if run.forked_from is None else {
                "run": run.forked_from_id, "user": run.forked_from.owner.username},
            "forks": link.forks,
            "forks_that_beat_it": beaten_by,
            "fork_url": (reverse("submit-page", args=[run.challenge.slug]) + f"?fork={run.pk}"
                         if visible else None),
        }
        html = render_to_string("challenges/_run_card.html", {
            "card": data, "spec_json": json.dumps(run.spec, indent=2) if visible else "",
        })
        cards.setdefault(link.post_id, []).append(AttachmentCard(kind="run", data=data,
                                                                 html=html))
    return cards


def _forks_that_beat(run: Run) -> int:
    """Count the forks of `run` that scored better than it (same challenge, same metric)."""
    if run.val_score is None:
        return 0
    better = ("val_score__gt" if run.challenge.higher_is_better else "val_score__lt")
    return Run.objects.filter(
        Q(**{better: run.val_score}), forked_from=run, status=RunStatus.SUCCEEDED
    ).count()


def forks_counted(run: Run) -> None:
    """Count a new fork of `run` in every board thread that shows `run`'s card."""
    from community.services.threads import thread_fork_count_increment

    for thread_id in set(PostRun.objects.filter(run=run).values_list("post__thread_id",
                                                                      flat=True)):
        thread_fork_count_increment(thread_id=thread_id)
