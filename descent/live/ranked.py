"""Ranked boards sent as what changed: the delta between two boards and how to apply it.

Pure functions on lists of row dicts (no Django, no I/O), shared by the server, which builds
deltas, and the `descent` command, which applies them; the browser's copy is
`static/common/ranked.js`, the load bench's `bench/load/tally.py` (written again, on purpose).

A board is a list of rows in rank order, one per `key` (the builder), each with its `rank`
(1, 2, ...). Rows are ordered by what they hold (score, then the tie-breaks), so a row whose
content did not change keeps its place relative to the other unchanged rows. A delta over the
top `top` rows therefore needs only:

- `changed`: the rows of the new top that the old top did not hold as they are now (new to
  the top, or changed) — with their new `rank`;
- `removed`: the keys of the old top that the new top does not hold;
- `size`: how many rows the new top has.

Applying it: drop the removed and the changed keys from the old top (what stays keeps its
order), insert each changed row at index `rank - 1` in increasing rank order, renumber, and
check that the result has `size` rows — else the client resyncs. Rank-derived fields (`rank`
and `rank_change` = `val_rank - rank`) are not content: a row that only moved is not sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Row = dict[str, Any]
DERIVED = frozenset({"rank", "rank_change"})


def row_content(row: Row) -> dict[str, Any]:
    """Return what a row holds apart from where it stands."""
    return {name: value for name, value in row.items() if name not in DERIVED}


def board_delta(before: Sequence[Row], after: Sequence[Row], *, top: int,
                key: str = "user") -> tuple[list[Row], list[Any]]:
    """Return (changed, removed) that turn `before[:top]` into `after[:top]`."""
    old = {row[key]: row_content(row) for row in before[:top]}
    new_top = after[:top]
    changed = [row for row in new_top if old.get(row[key]) != row_content(row)]
    kept = {row[key] for row in new_top}
    removed = [name for name in old if name not in kept]
    return changed, removed


def with_ranks(rows: Sequence[Row]) -> list[Row]:
    """Number rows by their place; recompute `rank_change` where a `val_rank` is known."""
    ranked = []
    for place, row in enumerate(rows, start=1):
        row = {**row, "rank": place}
        if "rank_change" in row or "val_rank" in row:
            val_rank = row.get("val_rank")
            row["rank_change"] = None if val_rank is None else val_rank - place
        ranked.append(row)
    return ranked


def board_apply(board: Sequence[Row], changed: Sequence[Row], removed: Sequence[Any], *,
                size: int, key: str = "user") -> list[Row] | None:
    """Apply a delta to `board` (a top as last received); None if it does not fit (resync)."""
    gone = set(removed) | {row[key] for row in changed}
    rows = [row for row in board if row[key] not in gone]
    for row in sorted(changed, key=lambda row: row["rank"]):
        index = row["rank"] - 1
        if not 0 <= index <= len(rows):
            return None
        rows.insert(index, row)
    if len(rows) != size:
        return None
    result = with_ranks(rows)
    if any(result[row["rank"] - 1][key] != row[key] for row in changed):
        return None
    return result
