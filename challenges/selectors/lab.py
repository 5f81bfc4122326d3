"""Lab reads: a lab's three runs and a plain-words account of what happened to each."""

from __future__ import annotations

from typing import Any

from challenges.models import FINAL_STATUSES, Run, RunStatus
from challenges.selectors.history import redact_hyperparameters

LAB_FACTORS = (0.1, 1.0, 10.0)
LAB_LABELS = {0.1: "÷10", 1.0: "×1", 10.0: "×10"}


def _rate(run: Run) -> float:
    return float(run.spec["optimizer"]["learning_rate"])


def lab_labels(runs: list[Run]) -> dict[int, str]:
    """Return each run's factor label (÷10, ×1, ×10) against the lab's middle rate."""
    rates = sorted(_rate(run) for run in runs)
    middle = rates[len(rates) // 2] if rates else 0.0
    labels = {}
    for run in runs:
        factor = _rate(run) / middle if middle else 1.0
        labels[run.pk] = LAB_LABELS.get(round(factor, 6), f"×{factor:g}")
    return labels


def lab_explain(runs: list[Run], *, show_rates: bool = True) -> dict[str, Any]:
    """Explain a lab from its runs' statuses, losses and the engine's diagnoses.

    Returns {"done": bool, "lines": [str], "best": run id or None}: one line per run, then a
    verdict once every run has ended. Without `show_rates` (a viewer who may not see the
    spec) a rate is named by its factor only ("the ×10 rate"), never by its value.
    """
    runs = sorted(runs, key=_rate)
    labels = lab_labels(runs)

    def named(run: Run) -> str:
        return (f"learning rate {_rate(run):g}" if show_rates
                else f"the {labels[run.pk]} learning rate")

    lines = []
    for run in runs:
        rate = named(run)
        said = _messages(run) if show_rates else redact_hyperparameters(_messages(run))
        if run.status == RunStatus.DIVERGED:
            lines.append(f"At {rate} the run diverged: the loss became NaN or infinite, the "
                         "gradients exploded. " + said)
        elif run.status == RunStatus.SUCCEEDED:
            loss = "" if run.val_loss is None else f" with validation loss {run.val_loss:.4g}"
            score = ("" if run.val_score is None
                     else f" and validation {run.challenge.metric} {run.val_score:.4g}")
            lines.append(f"At {rate} training finished{loss}{score}. " + said)
        elif run.status in FINAL_STATUSES:
            error = run.error if show_rates else redact_hyperparameters(run.error)
            lines.append(f"At {rate} the run ended {run.get_status_display().lower()}"
                         f"{': ' + error if error else '.'}")
        else:
            lines.append(f"At {rate} the run is {run.get_status_display().lower()} "
                         f"(epoch {run.epochs_done}).")
    done = bool(runs) and all(run.status in FINAL_STATUSES for run in runs)
    best = None
    if done:
        finished = [r for r in runs if r.status == RunStatus.SUCCEEDED and r.val_loss is not None]
        if finished:
            best_run = min(finished, key=lambda r: r.val_loss)
            best = best_run.pk
            lines.append(f"Verdict: {named(best_run)} reached the lowest "
                         "validation loss." + _verdict_tail(runs, best_run))
        else:
            lines.append("Verdict: no rate trained to the end. Start the lab again from a "
                         "learning rate 10× lower.")
    return {"done": done, "lines": [line.strip() for line in lines], "best": best}


def _messages(run: Run) -> str:
    found = [d.get("message", "") for d in run.diagnoses or [] if d.get("code") != "diverged"]
    if run.status == RunStatus.DIVERGED:
        found = [d.get("message", "") for d in run.diagnoses or []] or [run.error]
    return " ".join(m for m in found if m) or ("The engine found nothing wrong."
                                               if run.status == RunStatus.SUCCEEDED else "")


def _verdict_tail(runs: list[Run], best: Run) -> str:
    higher = [r for r in runs if _rate(r) > _rate(best)]
    lower = [r for r in runs if _rate(r) < _rate(best)]
    tail = ""
    if any(r.status == RunStatus.DIVERGED for r in higher):
        tail += " Larger steps overshot and exploded."
    elif higher:
        tail += " Larger steps were less precise near the bottom."
    if lower:
        tail += " Smaller steps moved too slowly to get as far in the same epochs."
    return tail
