// The challenge page's leaderboard table, redrawn in place from live entries.
//
// The row markup has one source, templates/challenges/_leaderboard_row.html: the server
// renders each row with it and once more inside <template id="leaderboard-row">, which this
// module clones and fills in (its [data-field] cells) for every live entry.
//
// Entries are one per builder, so a row is keyed by its builder: between two boards a
// builder's rank change shows as ▲n / ▼n, a builder not on the previous board as "new", and
// a changed row flashes briefly. Every text goes in through textContent.

import { formatScore, formatUtc } from "../common/format.js";
import { isVerified, showVerification } from "./verification.js";

const MARK_MS = 60_000; // how long a ▲/▼/new mark stays after the change

function span(text, className, title) {
  const element = document.createElement("span");
  element.textContent = text;
  if (className) element.className = className;
  if (title) element.title = title;
  return element;
}

// As the server renders it (the _leaderboard_row.html partial).
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
 * Take over the leaderboard in `section` (its table, tbody, [data-empty] paragraph and the
 * row <template>). `runUrl(id)` makes a run page's URL; `verifiedOnly` shows only the entries
 * a second worker reproduced (the page's ?verified=1), with their ranks.
 */
export function createLeaderboard(section, { runUrl, verifiedOnly = false }) {
  const table = section.querySelector("table.leaderboard");
  const body = table.tBodies[0];
  const empty = section.querySelector("[data-empty]");
  const template = section.querySelector("template#leaderboard-row");
  let previous = null; // the entries shown, null until the first snapshot
  const marks = new Map(); // builder → {kind, text, until}

  function row(entry, flash) {
    const tr = template.content.firstElementChild.cloneNode(true);
    const field = (name) => tr.querySelector(`[data-field="${name}"]`);
    const set = (name, text) => {
      const element = field(name);
      if (element) element.textContent = text;
    };
    tr.dataset.user = entry.user;
    tr.dataset.run = String(entry.run);
    tr.dataset.rank = String(entry.rank);
    set("rank", String(entry.rank));
    const mark = marks.get(entry.user);
    if (mark && mark.text && mark.until > Date.now()) {
      field("rank").after(" ", span(mark.text, `rank-move ${mark.kind}`));
    }
    if (flash) tr.classList.add("flash");
    set("val_rank", entry.val_rank == null ? "–" : String(entry.val_rank));
    if (field("shake_up")) field("shake_up").replaceChildren(shakeUp(entry.rank_change));
    set("user", entry.user);
    const score = field("score");
    score.href = runUrl(entry.run);
    score.textContent = formatScore(entry.score);
    set("parameter_count", String(entry.parameter_count ?? ""));
    showVerification(field("verification"), entry.verification);
    const time = field("submitted_at");
    time.dateTime = entry.submitted_at;
    time.textContent = formatUtc(entry.submitted_at);
    return tr;
  }

  return {
    /**
     * Show `entries` (a snapshot's or an update's), marking what changed since the last;
     * `own` (the viewer's row, if it is beyond the rows sent) goes underneath, set apart.
     * With "verified only" on, only verified entries are shown.
     */
    show(all, own = null) {
      const entries = verifiedOnly ? all.filter(isVerified) : all;
      const moves = rankMoves(previous, entries);
      const now = Date.now();
      for (const [user, move] of moves) {
        if (move.text) marks.set(user, { ...move, until: now + MARK_MS });
      }
      const rows = entries.map((entry) => row(entry, moves.has(entry.user)));
      if (own && !entries.some((entry) => entry.user === own.user)) {
        const mine = row(own, false);
        mine.classList.add("own-row");
        mine.title = "your place, as of the last full snapshot";
        rows.push(mine);
      }
      body.replaceChildren(...rows);
      table.hidden = entries.length === 0;
      if (empty) empty.hidden = entries.length > 0;
      previous = entries;
    },
  };
}
