"""Ghost races: a run races the recorded history of another, epoch by epoch.

A submission may name a `ghost_run`: a finished run of the same challenge that the builder
may see. Only its losses are ever shown — never its spec, whoever races it. The worker loads
the ghost's history once (`ghost_track`), and every live message of the racer carries the
ghost at the same epoch and the gap, `delta` = racer's validation loss − ghost's (negative:
the racer is ahead), so that every watcher sees the gap without asking for anything.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from challenges.errors import NotFound
from challenges.models import Challenge, Run
from challenges.selectors.history import run_histories, thin
from challenges.selectors.visibility import runs_visible_to

# The ghost's curve in a run's snapshot and page: thinned like the other curves.
GHOST_POINTS = 500


def _finite(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def gap(racer_val_loss: Any, ghost_val_loss: Any) -> float | None:
    """Return racer − ghost validation loss (negative: the racer is ahead), or None."""
    racer, ghost = _finite(racer_val_loss), _finite(ghost_val_loss)
    return None if racer is None or ghost is None else racer - ghost


def _loss_record(record: dict[str, Any]) -> dict[str, Any]:
    # Losses only: the ghost's metric and learning rate stay with its own page.
    return {"epoch": record["epoch"], "train_loss": record.get("train_loss"),
            "val_loss": record.get("val_loss")}


@dataclass(frozen=True)
class GhostTrack:
    """A ghost's losses by epoch, loaded once, for the worker's live messages."""

    run: int
    user: str
    status: str
    last_epoch: int
    losses: dict[int, tuple[Any, Any]]  # epoch → (train_loss, val_loss)

    def at(self, epoch: int, racer_val_loss: Any) -> dict[str, Any]:
        """The ghost at `epoch` and the gap; past the ghost's last epoch its losses are None."""
        train_loss, val_loss = self.losses.get(epoch, (None, None))
        return {"run": self.run, "user": self.user, "epoch": epoch, "train_loss": train_loss,
                "val_loss": val_loss, "delta": gap(racer_val_loss, val_loss),
                "last_epoch": self.last_epoch}


def ghost_track(run: Run) -> GhostTrack | None:
    """Load the ghost of `run` (one query for its history), or None if it races none."""
    if run.ghost_run_id is None:
        return None
    ghost = Run.objects.select_related("owner").filter(pk=run.ghost_run_id).first()
    if ghost is None:
        return None
    records = run_histories([ghost])[ghost.pk]
    return GhostTrack(run=ghost.pk, user=ghost.owner.username, status=ghost.status,
                      last_epoch=records[-1]["epoch"] if records else 0,
                      losses={r["epoch"]: (r.get("train_loss"), r.get("val_loss"))
                              for r in records})


def ghost_source_get(*, run_id: int, viewer: Any, challenge: Challenge) -> Run:
    """Return the run `viewer` may race on `challenge`; raise `NotFound` or `ValueError`.

    It must be visible to `viewer`, on the same challenge (the same data and loss, so the
    gap means something) and finished (its whole history is the ghost). Its spec need not be
    visible: a race shows losses only.
    """
    run = runs_visible_to(viewer).filter(pk=run_id).first()
    if run is None:
        raise NotFound("no run you can see has that id")
    if run.challenge_id != challenge.pk:
        raise ValueError(f"run #{run.pk} is on challenge '{run.challenge.slug}'; race a run "
                         f"of '{challenge.slug}'")
    if not run.is_final:
        raise ValueError(f"run #{run.pk} is still {run.status}; race a finished run (its "
                         "recorded history is the ghost)")
    return run


def ghost_summary(run: Run, *, history: list[dict[str, Any]] | None = None,
                  points: int | None = GHOST_POINTS) -> dict[str, Any] | None:
    """Describe `run`'s ghost for its snapshot and page: who, its losses, the gap now.

    `history` is the racer's own (to take the gap at its last epoch); read if not given.
    """
    if run.ghost_run_id is None:
        return None
    track = ghost_track(run)
    if track is None:
        return None
    own = history if history is not None else run_histories([run])[run.pk]
    records = [{"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss}
               for epoch, (train_loss, val_loss) in sorted(track.losses.items())]
    last = own[-1] if own else None
    return {
        "run": track.run, "user": track.user, "status": track.status,
        "last_epoch": track.last_epoch, "records": thin(records, points),
        "gap": track.at(last["epoch"], last.get("val_loss")) if last else None,
    }


def ghost_curves(racers: Iterable[Run], *, points: int) -> dict[int, dict[str, Any]]:
    """For each racer with a ghost, the ghost's curve up to the racer's epoch (one query).

    Keyed by racer id; a late watcher of the challenge page draws the ghost as far as the
    race has come.
    """
    racers = [run for run in racers if run.ghost_run_id is not None]
    if not racers:
        return {}
    ghosts = {run.pk: run for run in
              Run.objects.select_related("owner").filter(pk__in={r.ghost_run_id for r in racers})}
    histories = run_histories(list(ghosts.values()))
    curves = {}
    for racer in racers:
        ghost = ghosts.get(racer.ghost_run_id)
        if ghost is None:
            continue
        upto = [_loss_record(r) for r in histories[ghost.pk] if r["epoch"] <= racer.epochs_done]
        curves[racer.pk] = {"run": ghost.pk, "user": ghost.owner.username,
                            "records": thin(upto, points)}
    return curves
