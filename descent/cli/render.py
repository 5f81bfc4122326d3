"""Tables and progress bars: everything `descent` draws with rich, and nothing else."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from rich.console import Console, Group
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from descent.cli.specs import MISSING
from descent.cli.stream import LeaderboardWatch, RunWatch, gap_words

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


def number(value: Any, digits: int = 6) -> str:
    """Format a score or loss compactly; None is a dash."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def when(value: Any) -> str:
    """Format an ISO 8601 timestamp as `YYYY-MM-DD HH:MM` UTC; None is a dash."""
    if not value:
        return "-"
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


def challenges_table(challenges: list[dict[str, Any]]) -> Table:
    """One row per challenge: slug, title, data, metric (↑ higher is better), quota, open."""
    table = Table(title=f"{len(challenges)} challenges")
    table.add_column("slug", no_wrap=True)
    table.add_column("title")
    table.add_column("dataset")
    table.add_column("metric", no_wrap=True)
    table.add_column("runs/day", justify="right")
    table.add_column("open")
    for item in challenges:
        direction = {"max": "↑", "min": "↓"}.get(item.get("metric_direction"), "")
        if item.get("accepts_submissions"):
            state = f"until {when(item['closes_at'])}" if item.get("closes_at") else "yes"
        else:
            state = item.get("status", "no")
        table.add_row(item["slug"], item.get("title", ""),
                      item.get("dataset", ""),
                      f"{item.get('metric', '')} {direction}".strip(),
                      str(item.get("daily_quota", "-")), state)
    return table


VERIFICATION_WORDS = {"reproduced": "✓ reproduced", "mismatch": "✗ mismatch",
                      "pending": "checking", "error": "not checked"}


def verification_words(verification: dict[str, Any] | None) -> str:
    """Say an entry's verification in a word or two; a dash if it was never asked."""
    if not verification:
        return "-"
    return VERIFICATION_WORDS.get(verification.get("status"), str(verification.get("status")))


def leaderboard_table(slug: str, entries: list[dict[str, Any]], ranked_by: str = "",
                      metric: str = "", verified_only: bool = False) -> Table:
    """The ranked entries: rank, builder, run, score, parameters, verified, submitted."""
    by = f" by {ranked_by}" if ranked_by else ""
    only = ", verified entries only" if verified_only else ""
    table = Table(title=f"leaderboard: {slug}{by}{only}")
    for column, justify in (("rank", "right"), ("user", "left"), ("run", "right"),
                            (metric or "score", "right"), ("parameters", "right"),
                            ("verified", "left"), ("submitted", "left")):
        table.add_column(column, justify=justify)
    for entry in entries:
        table.add_row(str(entry.get("rank")), entry.get("user", ""), f"#{entry.get('run')}",
                      number(entry.get("score")), str(entry.get("parameter_count", "-")),
                      verification_words(entry.get("verification")),
                      when(entry.get("submitted_at")))
    if not entries:
        table.add_row("-", "no verified entries yet" if verified_only else "no ranked runs yet",
                      "", "", "", "", "")
    return table


def live_leaderboard(watch: LeaderboardWatch, metric: str = "") -> Group:
    """The leaderboard, the runs in flight and the latest finishes, for `rich.live`."""
    parts: list[Any] = [leaderboard_table(watch.slug, watch.entries, watch.ranked_by, metric)]
    if watch.running:
        running = Table(title="training now")
        for column in ("run", "user", "epoch", "train loss", "val loss"):
            running.add_column(column, justify="left" if column == "user" else "right")
        for item in list(watch.running.values())[:10]:
            epochs = item.get("epochs")
            running.add_row(f"#{item.get('run')}", str(item.get("user", "")),
                            f"{item.get('epoch', 0)}/{epochs}" if epochs else
                            str(item.get("epoch", 0)),
                            number(item.get("train_loss")), number(item.get("val_loss")))
        parts.append(running)
    for item in watch.finished[:3]:
        parts.append(Text(f"run #{item.get('run')} by {item.get('user', '?')} finished: "
                          f"{item.get('status')} (score {number(item.get('score'))})"))
    online = f" · {watch.online} watching" if watch.online is not None else ""
    seq = f"seq {watch.seq}" if watch.seq is not None else "resyncing"
    parts.append(Text(f"{seq}{online} · Ctrl-C to stop", style="dim"))
    return Group(*parts)


class RunProgress:
    """A progress bar for one run: epochs done of total, train and validation loss."""

    def __init__(self, label: str, total: int | None) -> None:
        self.progress = Progress(
            TextColumn(f"[bold]{label}"),
            TextColumn("{task.fields[status]}"),
            MofNCompleteColumn(),
            BarColumn(),
            TextColumn("train {task.fields[train_loss]}  val {task.fields[val_loss]}"),
            TextColumn("{task.fields[gap]}"),
            TimeElapsedColumn(),
            console=err,
        )
        self.task: TaskID = self.progress.add_task(label, total=total, status="",
                                                   train_loss="-", val_loss="-", gap="")

    def __enter__(self) -> RunProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.progress.stop()

    def epoch(self, epoch: int, train_loss: Any, val_loss: Any, *, total: int | None = None,
              status: str = "", gap: str = "") -> None:
        self.progress.update(self.task, completed=epoch, total=total, status=status,
                             train_loss=number(train_loss), val_loss=number(val_loss), gap=gap)

    def show(self, watch: RunWatch) -> None:
        """Draw a `RunWatch`'s state (its `on_change`), with a ghost race's gap."""
        self.epoch(watch.epoch, watch.train_loss, watch.val_loss, total=watch.epochs,
                   status=watch.status, gap=gap_words(watch.gap))


def _cell(value: Any) -> Text:
    if value is MISSING:
        return Text("(absent)", style="dim")
    return Text(json.dumps(value))


def spec_diff_table(changes: list[tuple[str, Any, Any]], left: str, right: str) -> Table:
    """One row per key that differs: its path, the value in each spec."""
    table = Table(title=f"{len(changes)} difference" + ("" if len(changes) == 1 else "s"))
    table.add_column("key")
    table.add_column(left)
    table.add_column(right)
    for key, a, b in changes:
        table.add_row(key, _cell(a), _cell(b))
    return table


def comparison_table(rows: list[tuple[str, str, str, str]]) -> Table:
    """The reproduction's figures: what, on the server, here, verdict."""
    table = Table(title="reproduction")
    for column in ("", "server", "here", ""):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    return table


def race_result(run: dict[str, Any]) -> str:
    """Say how a finished ghost race ended: both validation losses at the last shared epoch.

    `run` is `GET /api/runs/<id>/` with its `history` and `ghost`.
    """
    ghost = run["ghost"]
    gap = ghost.get("gap") or {}
    name = f"run #{ghost['run']} ({ghost.get('user', '?')})"
    mine = {r.get("epoch"): r for r in run.get("history") or []}
    if isinstance(gap.get("delta"), int | float):
        epoch, ghost_loss, delta = gap["epoch"], gap["val_loss"], gap["delta"]
    else:
        # The racer outlasted the ghost: compare at the ghost's last epoch (always kept).
        records = ghost.get("records") or []
        last = records[-1] if records else None
        ours = mine.get(last["epoch"]) if last else None
        if last is None or ours is None or not isinstance(ours.get("val_loss"), int | float) \
                or not isinstance(last.get("val_loss"), int | float):
            return f"race vs {name}: no epoch where both have a finite validation loss"
        epoch, ghost_loss = last["epoch"], last["val_loss"]
        delta = ours["val_loss"] - ghost_loss
    yours = (mine.get(epoch) or {}).get("val_loss", ghost_loss + delta)
    where = ("ahead by" if delta < 0 else "behind by" if delta > 0 else "level,")
    ended = (f" (the ghost ended at epoch {ghost.get('last_epoch')})"
             if gap.get("epoch", epoch) != epoch else "")
    return (f"race vs {name} at epoch {epoch}{ended}: your val loss {number(yours)}, the "
            f"ghost's {number(ghost_loss)}: {where} {number(abs(delta))} "
            f"(Δ {number(delta)})")
