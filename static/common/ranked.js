// Ranked boards sent as what changed (docs/contract-additions.md#live-protocol-2; the server's side is
// descent/live/ranked.py). A protocol-2 `leaderboard.update` with `partial: true` carries the
// rows of the top that changed (with their new rank), the builders that left the top
// (`removed`) and the top's new length (`size`). Rows that only moved are not sent: their
// order among themselves cannot change, so dropping the removed and changed builders and
// inserting each changed row at its rank, lowest rank first, rebuilds the new top exactly.

/** Number rows by their place; recompute rank_change where a val_rank is known. */
export function withRanks(rows) {
  return rows.map((row, index) => {
    const rank = index + 1;
    const ranked = { ...row, rank };
    if ("rank_change" in row || "val_rank" in row) {
      ranked.rank_change = row.val_rank == null ? null : row.val_rank - rank;
    }
    return ranked;
  });
}

/**
 * Apply a partial update to `board` (the top rows held); return the new top, or null when
 * it does not fit (the caller resyncs).
 */
export function applyDelta(board, { entries: changed = [], removed = [], size }, key = "user") {
  const gone = new Set([...removed, ...changed.map((row) => row[key])]);
  const rows = board.filter((row) => !gone.has(row[key]));
  for (const row of [...changed].sort((a, b) => a.rank - b.rank)) {
    const index = row.rank - 1;
    if (!Number.isInteger(index) || index < 0 || index > rows.length) return null;
    rows.splice(index, 0, row);
  }
  if (rows.length !== size) return null;
  const result = withRanks(rows);
  if (changed.some((row) => result[row.rank - 1][key] !== row[key])) return null;
  return result;
}
