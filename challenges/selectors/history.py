"""Run histories: the current attempt's epochs, read in one query, thinned by one rule.

Every reader — the run page and stream, the lab, the race curves of a challenge's live
page, the sparklines of run cards — goes through `run_histories`. Only the attempt that
holds the run counts (an abandoned attempt's chunks are filtered out in SQL, not in Python).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db.models import F

from challenges.models import Run, RunHistoryChunk
from descent.engine.metrics import METRICS

# What an epoch record shows to someone who may not see the run's spec: its progress, never
# a hyperparameter (the record's `learning_rate` follows the schedule, so it reveals the spec).
PUBLIC_EPOCH_KEYS = frozenset({"epoch", "train_loss", "val_loss", *METRICS})


# The engine's messages name the rate ("gradients exploded at learning rate 0.5. Try
# learning_rate 0.05"): for the same viewers, the value is blanked out of them.
_RATE_VALUE = re.compile(r"(learning[ _]rate) [-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?",
                         re.IGNORECASE)


def redact_hyperparameters(text: str) -> str:
    """Return an engine message without the learning-rate values it names."""
    return _RATE_VALUE.sub(r"\1 (private)", text)


def public_record(record: dict[str, Any]) -> dict[str, Any]:
    """Return an epoch record without what only the spec's viewers may see."""
    return {key: value for key, value in record.items() if key in PUBLIC_EPOCH_KEYS}


def thin(records: list[Any], points: int | None) -> list[Any]:
    """Keep at most about `points` evenly spaced records, always the last one."""
    if points is None or len(records) <= points:
        return records
    step = -(-len(records) // points)
    thinned = records[::step]
    if thinned[-1] is not records[-1]:
        thinned.append(records[-1])
    return thinned


def run_histories(runs: Iterable[Run], *, points: int | None = None
                  ) -> dict[int, list[dict[str, Any]]]:
    """Return each run's epoch records of its current attempt, in epoch order (one query).

    `points` thins each history with `thin`; None keeps every epoch.
    """
    by_run: dict[int, list[dict[str, Any]]] = {run.pk: [] for run in runs}
    if not by_run:
        return by_run
    chunks = (RunHistoryChunk.objects.filter(run_id__in=by_run, attempt=F("run__attempt"))
              .order_by("run_id", "first_epoch").values_list("run_id", "records"))
    for run_id, records in chunks:
        by_run[run_id].extend(records)
    return {run_id: thin(records, points) for run_id, records in by_run.items()}


def run_history(run: Run, *, points: int | None = None) -> list[dict[str, Any]]:
    """Return one run's epoch records of its current attempt, in epoch order."""
    return run_histories([run], points=points)[run.pk]


def run_layer_samples(run: Run, *, points: int | None = None) -> list[dict[str, Any]]:
    """Return the layer statistics stored with the current attempt's epochs, in epoch order.

    `points` thins them with `thin`, like a history.
    """
    chunks = (RunHistoryChunk.objects.filter(run_id=run.pk, attempt=run.attempt)
              .order_by("first_epoch").values_list("layers", flat=True))
    samples = [sample for layers in chunks for sample in layers]
    samples.sort(key=lambda sample: sample["epoch"])
    return thin(samples, points)
