"""Output shapes shared by the challenge APIs (and the live messages of issue 5)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from challenges.models import Challenge, Run
from challenges.selectors.datasets import dataset_describe
from challenges.selectors.runs import run_history, run_spec_visible, run_test_score_visible


def challenge_data(challenge: Challenge, *, detail: bool = False) -> dict[str, Any]:
    """Describe a challenge; the detail adds the lesson and the data's shape (never labels)."""
    data: dict[str, Any] = {
        "slug": challenge.slug,
        "title": challenge.title,
        "status": challenge.status,
        "task": challenge.task,
        "metric": challenge.metric,
        "metric_direction": challenge.metric_direction,
        "dataset": challenge.dataset,
        # What `descent reproduce` needs to load the very same data: load_dataset(dataset,
        # seed=dataset_seed, **dataset_params).
        "dataset_seed": challenge.dataset_seed,
        "dataset_params": challenge.dataset_params or {},
        "budgets": {
            "max_parameters": challenge.max_parameters,
            "max_epochs": challenge.max_epochs,
            "max_work": challenge.max_work,
            "time_limit_seconds": challenge.time_limit_seconds,
        },
        "unlock_threshold": challenge.unlock_threshold,
        "daily_quota": challenge.daily_quota,
        "opens_at": challenge.opens_at,
        "closes_at": challenge.closes_at,
        "accepts_submissions": challenge.accepts_submissions(),
        "url": reverse("challenge-page", args=[challenge.slug]),
    }
    if detail:
        data["lesson"] = challenge.lesson
        data["data"] = dataset_describe(challenge)
        data["starter_spec"] = challenge.starter_spec
    return data


def run_data(run: Run, viewer: Any, *, with_history: bool = False) -> dict[str, Any]:
    """Describe a run as `viewer` may see it: the spec and test score only where allowed."""
    spec_visible = run_spec_visible(run, viewer)
    data: dict[str, Any] = {
        "id": run.pk,
        "url": reverse("run-page", args=[run.pk]),
        "challenge": run.challenge.slug,
        "user": run.owner.username,
        "status": run.status,
        "note": run.note,
        "ranked": run.ranked,
        "attempt": run.attempt,
        "spec_visible": spec_visible,
        "spec": run.spec if spec_visible else None,
        "spec_hash": run.spec_hash if spec_visible else None,
        "shared": run.shared,
        "forked_from": run.forked_from_id,
        "parameter_count": run.parameter_count,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "heartbeat_at": run.heartbeat_at,
        "epochs_done": run.epochs_done,
        "epochs": run.spec.get("epochs"),
        "train_loss": run.train_loss,
        "val_loss": run.val_loss,
        "val_score": run.val_score,
        "test_score": run.test_score if run_test_score_visible(run, viewer) else None,
        "score": run.score,
        "metric": run.challenge.metric,
        "diagnoses": run.diagnoses,
        "error": run.error,
        "disqualified_reason": run.disqualified_reason or None,
        "worker_host": run.worker_host,
        "engine_version": run.engine_version,
    }
    if with_history:
        data["history"] = run_history(run)
    return data
