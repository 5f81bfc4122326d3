"""Runs side by side: which runs a viewer may compare, their curves, the leaderboard's
hyperparameters for the parallel-coordinates view, and the diff of two specs.

Visibility is `selectors/visibility.py`'s: a run nobody may see is left out as if it did not
exist; a spec (and so every hyperparameter of it) only where `run_spec_visible` allows —
the parallel-coordinates view counts the hidden ones and shows nothing else of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from challenges.models import Challenge, PostRun, Run
from challenges.selectors.datasets import dataset_describe
from challenges.selectors.history import run_histories
from challenges.selectors.leaderboards import leaderboard_get
from challenges.selectors.runs import runs_of_builder
from challenges.selectors.visibility import run_spec_visible, runs_visible_to
from descent.specdiff import MISSING, spec_changes

MAX_COMPARED = 8
TOP_DEFAULT = 5
CURVE_POINTS = 400


def parse_run_ids(text: str) -> tuple[list[int], list[str]]:
    """Read "1,2,3" into run ids (at most MAX_COMPARED, in order); return (ids, problems)."""
    ids: list[int] = []
    problems: list[str] = []
    for part in (text or "").replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit() or len(part) > 12:
            problems.append(f"'{part[:20]}' is not a run id; use numbers, e.g. ?runs=1,2,3")
            continue
        if int(part) not in ids:
            ids.append(int(part))
    if len(ids) > MAX_COMPARED:
        problems.append(f"at most {MAX_COMPARED} runs side by side; the first "
                        f"{MAX_COMPARED} are shown")
        ids = ids[:MAX_COMPARED]
    return ids, problems


def runs_compared(*, run_ids: list[int], viewer: Any) -> list[Run]:
    """Return the runs of `run_ids` that `viewer` may see, in the order asked (one query)."""
    found = {run.pk: run for run in runs_visible_to(viewer).filter(pk__in=run_ids)}
    return [found[run_id] for run_id in run_ids if run_id in found]


def top_run_ids(*, challenge: Challenge, limit: int = TOP_DEFAULT) -> list[int]:
    """Return the run ids of the leaderboard's first `limit` entries."""
    return [entry.run for entry in leaderboard_get(challenge=challenge)[:limit]]


def my_run_ids(*, viewer: Any, challenge: Challenge, limit: int = MAX_COMPARED) -> list[int]:
    """Return the viewer's latest runs on a challenge."""
    if not viewer.is_authenticated:
        return []
    return list(runs_of_builder(user=viewer, challenge=challenge)
                .values_list("pk", flat=True)[:limit])


def thread_fork_run_ids(*, thread_id: int, limit: int = MAX_COMPARED) -> list[int]:
    """Return a thread's run cards and the runs forked from them (the thread's forks)."""
    cards = list(PostRun.objects.filter(post__thread_id=thread_id)
                 .order_by("post_id").values_list("run_id", flat=True))
    forks = list(Run.objects.filter(forked_from_id__in=cards).order_by("id")
                 .values_list("pk", flat=True))
    ids: list[int] = []
    for run_id in [*cards, *forks]:
        if run_id not in ids:
            ids.append(run_id)
    return ids[:limit]


def compare_curves(runs: list[Run]) -> list[dict[str, Any]]:
    """Return each run's label and thinned history, for the overlay chart (one query)."""
    histories = run_histories(runs, points=CURVE_POINTS)
    return [{"id": run.pk, "label": f"#{run.pk} {run.owner.username}", "status": run.status,
             "challenge": run.challenge.slug, "history": histories[run.pk]} for run in runs]


@dataclass(frozen=True)
class SpecDiff:
    """Two runs' specs compared: rows of (path, left, right); None where a spec is hidden."""

    left: Run
    right: Run
    rows: list[tuple[str, str, str]] | None


def _shown(value: Any) -> str:
    return "(absent)" if value is MISSING else repr(value) if isinstance(value, str) \
        else "null" if value is None else str(value)


def spec_diff(*, left: Run, right: Run, viewer: Any) -> SpecDiff:
    """Compare two runs' specs (the CLI's `spec_changes`) if the viewer may see both."""
    if not (run_spec_visible(left, viewer) and run_spec_visible(right, viewer)):
        return SpecDiff(left, right, None)
    rows = [(path, _shown(a), _shown(b)) for path, a, b in spec_changes(left.spec, right.spec)]
    return SpecDiff(left, right, rows)


def _hyperparameters(spec: dict[str, Any], n_train: int) -> dict[str, Any]:
    hidden = spec["layers"][:-1]
    batch = spec["batch_size"]
    return {
        "learning_rate": spec["optimizer"]["learning_rate"],
        "optimizer": spec["optimizer"]["name"],
        "batch_size": n_train if batch == "full" else batch,
        "depth": len(spec["layers"]),
        "width": max((layer["units"] for layer in hidden), default=0),
        "epochs": spec["epochs"],
    }


def leaderboard_coordinates(*, challenge: Challenge, viewer: Any) -> dict[str, Any]:
    """Return the leaderboard's runs as lines for parallel coordinates: hyperparameters →
    score, only for runs whose spec `viewer` may see; `hidden` counts the others."""
    entries = leaderboard_get(challenge=challenge)
    runs = {run.pk: run for run in Run.objects.select_related("challenge", "owner")
            .filter(pk__in=[entry.run for entry in entries])}
    n_train = dataset_describe(challenge)["n_train"]
    lines, hidden = [], 0
    for entry in entries:
        run = runs.get(entry.run)
        if run is None:
            continue
        if not run_spec_visible(run, viewer):
            hidden += 1
            continue
        lines.append({"run": run.pk, "user": entry.user, "rank": entry.rank,
                      "score": entry.score, **_hyperparameters(run.spec, n_train)})
    return {"challenge": challenge.slug, "metric": challenge.metric,
            "higher_is_better": challenge.higher_is_better, "lines": lines, "hidden": hidden}
