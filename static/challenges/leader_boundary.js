// The challenge page's "leader's decision boundary": the latest frame of the run that leads,
// streamed over that run's own /ws/runs/<id>/ through the shared live client.
//
// Which run: the leaderboard's first entry (its last stored frame: a finished run's final
// picture). With nobody ranked yet, the run in flight with the lowest validation loss so far
// (from run.progress), so spectators watch the best boundary forming. When the leader
// changes, the page leaves the old run's stream and joins the new one's.

import { connectLive } from "../common/live.js";
import { drawBoundary } from "../common/pictures.js";

export function createLeaderBoundary(box) {
  if (!box) return null;
  const canvas = box.querySelector("canvas");
  const caption = box.querySelector("[data-leader-caption]");
  let watching = null; // {run, live}
  let ranked = null; // the leaderboard's first run, or null
  const inFlight = new Map(); // run → {user, val_loss}
  let points = null;

  function show(frame, run) {
    drawBoundary(canvas, frame, points);
    canvas.dataset.run = String(run);
    canvas.dataset.epoch = String(frame.epoch);
    box.hidden = false;
  }

  function watch(run, user) {
    if (watching?.run === run) return;
    if (watching) watching.live.close();
    caption.textContent = `${user} · run #${run}`;
    const live = connectLive(`/ws/runs/${run}/`, {
      onSnapshot(message) {
        points = message.instruments?.boundary?.points || points;
        const frame = message.instruments?.boundary?.frames?.at(-1);
        if (frame) show(frame, run);
      },
      onMessage(message) {
        if (message.type === "run.boundary" && message.run === run) show(message.frame, run);
      },
    });
    watching = { run, live };
  }

  function choose() {
    if (ranked) {
      watch(ranked.run, ranked.user);
      return;
    }
    let best = null;
    for (const [run, progress] of inFlight) {
      if (typeof progress.val_loss !== "number") continue;
      if (best === null || progress.val_loss < best.val_loss) best = { run, ...progress };
    }
    if (best) watch(best.run, best.user);
  }

  return {
    /** The leaderboard's entries (a snapshot's or an update's). */
    entries(entries) {
      ranked = entries && entries.length ? entries[0] : null;
      choose();
    },
    /** A run.progress or run.finished of the race. */
    progress(message) {
      if (message.type === "run.progress") {
        inFlight.set(message.run, { user: message.user, val_loss: message.val_loss });
      } else if (message.type === "run.finished") {
        inFlight.delete(message.run);
      }
      if (!ranked) choose();
    },
  };
}
