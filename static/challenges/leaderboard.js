// The challenge page's leaderboard table, redrawn in place from live entries.
//
// Entries are one per builder, so a row is keyed by its builder: between two boards a
// builder's rank change shows as ▲n / ▼n, a builder not on the previous board as "new", and
// a changed row flashes briefly. Every text goes in through textContent.

const MARK_MS = 60_000; // how long a ▲/▼/new mark stays after the change

function cell(row, text, className) {
  const td = row.insertCell();
  if (text instanceof Node) td.append(text);
  else td.textContent = text;
  if (className) td.className = className;
  return td;
}

function span(text, className, title) {
  const element = document.createElement("span");
  element.textContent = text;
  if (className) element.className = className;
  if (title) element.title = title;
  return element;
}

function formatScore(score) {
  return typeof score === "number" && Number.isFinite(score) ? score.toFixed(4) : "–";
}

// As the server renders it: "Y-m-d H:i" in UTC.
function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toISOString().slice(0, 16).replace("T", " ");
}

function shakeUp(move) {
  if (move === null || move === undefined) return span("–", "muted");
  if (move > 0) return span(`▲ ${move}`, "good shake-up", "places up from the validation ranking");
  if (move < 0) return span(`▼ ${-move}`, "bad shake-up", "down from the validation ranking");
  return span("=", "muted shake-up", "same place as by validation");
}

/** Compare two boards: per builder, the mark to show ({kind: "up"|"down"|"new", text}). */
export function rankMoves(previous, entries) {
  const moves = new Map();
  if (previous === null) return moves;
  const before = new Map(previous.map((entry) => [entry.user, entry]));
  for (const entry of entries) {
    const old = before.get(entry.user);
    if (!old) moves.set(entry.user, { kind: "new", text: "new", flash: true });
    else if (entry.rank < old.rank) {
      moves.set(entry.user, { kind: "up", text: `▲${old.rank - entry.rank}`, flash: true });
    } else if (entry.rank > old.rank) {
      moves.set(entry.user, { kind: "down", text: `▼${entry.rank - old.rank}`, flash: true });
    } else if (entry.run !== old.run || entry.score !== old.score) {
      moves.set(entry.user, { kind: "same", text: "", flash: true }); // a better run, same place
    }
  }
  return moves;
}

/**
 * Take over the leaderboard in `section` (its table, tbody and [data-empty] paragraph).
 * `runUrl(id)` makes a run page's URL; `closed` adds the val rank and shake-up columns.
 */
export function createLeaderboard(section, { closed, runUrl }) {
  const table = section.querySelector("table.leaderboard");
  const body = table.tBodies[0];
  const empty = section.querySelector("[data-empty]");
  let previous = null; // the entries shown, null until the first snapshot
  const marks = new Map(); // builder → {kind, text, until}

  function row(entry, flash) {
    const tr = document.createElement("tr");
    tr.dataset.user = entry.user;
    tr.dataset.run = String(entry.run);
    tr.dataset.rank = String(entry.rank);
    const rank = cell(tr, span(String(entry.rank), "rank-value"), "rank");
    const mark = marks.get(entry.user);
    if (mark && mark.text && mark.until > Date.now()) {
      rank.append(" ", span(mark.text, `rank-move ${mark.kind}`));
    }
    if (flash) tr.classList.add("flash");
    if (closed) {
      cell(tr, entry.val_rank == null ? "–" : String(entry.val_rank));
      cell(tr, shakeUp(entry.rank_change));
    }
    cell(tr, entry.user, "builder");
    const link = document.createElement("a");
    link.href = runUrl(entry.run);
    link.textContent = formatScore(entry.score);
    cell(tr, link, "score");
    cell(tr, String(entry.parameter_count ?? ""));
    const time = document.createElement("time");
    time.dateTime = entry.submitted_at;
    time.textContent = formatTime(entry.submitted_at);
    cell(tr, time);
    return tr;
  }

  return {
    /** Show `entries` (a snapshot's or an update's), marking what changed since the last. */
    show(entries) {
      const moves = rankMoves(previous, entries);
      const now = Date.now();
      for (const [user, move] of moves) {
        if (move.text) marks.set(user, { ...move, until: now + MARK_MS });
      }
      body.replaceChildren(...entries.map((entry) => row(entry, moves.has(entry.user))));
      table.hidden = entries.length === 0;
      if (empty) empty.hidden = entries.length > 0;
      previous = entries;
    },
  };
}
