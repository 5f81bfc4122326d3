// Ghost races: a run races the recorded history of another run, epoch by epoch.
//
// Every `run.epoch` of a racing run (and every `run.progress` on the challenge's stream)
// carries `ghost: {run, user, epoch, train_loss, val_loss, delta, last_epoch}`: the ghost at
// the racer's epoch and the gap, delta = racer's validation loss − the ghost's (negative:
// ahead). The pages draw the ghost dashed only as far as the racer has come, so the ghost
// replays alongside; once the race is over, the whole of it.

import { formatLoss } from "../common/format.js";

/** The race chart's key of a racer's ghost line. */
export function ghostKey(racer) {
  return `ghost:${racer}`;
}

/** Say the gap in a few words: "Δ −0.0123 vs ghost #5 (ahead)". */
export function gapText(ghost) {
  if (!ghost) return "";
  if (typeof ghost.delta !== "number") {
    if (ghost.last_epoch !== undefined && ghost.epoch > ghost.last_epoch) {
      return `ghost #${ghost.run} ended at epoch ${ghost.last_epoch}`;
    }
    return `vs ghost #${ghost.run}: –`;
  }
  const sign = ghost.delta < 0 ? "−" : ghost.delta > 0 ? "+" : "±";
  const where = ghost.delta < 0 ? "ahead" : ghost.delta > 0 ? "behind" : "level";
  return `Δ ${sign}${formatLoss(Math.abs(ghost.delta))} vs ghost #${ghost.run} (${where})`;
}

/** Keep the ghost's records up to `epoch` (the racer's), or all of them if it is null. */
export function ghostUpTo(records, epoch) {
  if (epoch === null || epoch === undefined) return records;
  return records.filter((record) => record.epoch <= epoch);
}

/**
 * Follow a run's ghost on the run page: `ghost` is the snapshot's (`run.ghost`), `chart` the
 * run's loss chart (or null), `gapCell` the element that shows the gap, `live` whether the
 * run is still training and `epoch` the last one the page has.
 * Returns {snapshot(run), epoch(message), finished()} for the page's stream handlers.
 */
export function createRunGhost({ ghost, chart, gapCell, live, epoch = null }) {
  let current = ghost;
  let racing = live;
  let racerEpoch = epoch;

  function draw() {
    if (!current || chart === null) return;
    const records = racing ? ghostUpTo(current.records, racerEpoch) : current.records;
    chart.setGhost({ label: `ghost: ${current.user} #${current.run}`, records });
  }

  function showGap(gap) {
    if (gapCell && gap) {
      gapCell.textContent = `${gapText(gap)} at epoch ${gap.epoch}`;
      gapCell.dataset.delta = typeof gap.delta === "number" ? String(gap.delta) : "";
      gapCell.dataset.epoch = String(gap.epoch);
    }
  }

  draw();
  return {
    snapshot(run) {
      current = run.ghost || current;
      racing = run.status === "queued" || run.status === "running";
      const history = run.history || [];
      racerEpoch = history.length ? history.at(-1).epoch : 0;
      if (current) showGap(current.gap);
      draw();
    },
    epoch(message) {
      if (!message.ghost) return;
      racerEpoch = message.epoch;
      showGap(message.ghost);
      draw();
    },
    finished() {
      racing = false;
      draw();
    },
  };
}
