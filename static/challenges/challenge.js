// The challenge page, live over /ws/challenges/<slug>/: the leaderboard, the loss race, a
// progress bar per run in flight, the viewer's own runs and the ONLINE badge update in place.

import { createRaceChart } from "../common/multi-run-charts.js";
import { formatLoss, formatScore } from "../common/format.js";
import { connectLive } from "../common/live.js";
import { gapText, ghostKey } from "./ghost.js";
import { createLeaderBoundary } from "./leader_boundary.js";
import { createLeaderboard } from "./leaderboard.js";

const RACE_SERIES = 8; // any run joins the race while it has fewer lines than this
const FINISHED_SHOWN_MS = 6000; // a finished run's bar stays this long, showing its status

const root = document.getElementById("live-challenge");
const viewer = root.dataset.viewer || null;
const runUrl = (id) => root.dataset.runUrl.replace(/0\/$/, `${id}/`);
const board = createLeaderboard(document.getElementById("leaderboard"),
                                { runUrl, verifiedOnly: root.dataset.verifiedOnly === "1" });
const chartBox = document.getElementById("race-chart");
const chart = createRaceChart(chartBox);
if (chart === null) document.querySelector("[data-chart-fallback]").hidden = false;
const bars = document.querySelector("[data-race-runs]");
const noBars = document.querySelector("[data-race-idle]");
const online = document.querySelector("[data-online]");
const liveState = document.querySelector("[data-live-state]");
const myRuns = document.querySelector("table.my-runs");
const leader = createLeaderBoundary(document.querySelector("[data-leader-boundary]"));
const finished = new Set(); // runs whose run.finished came: a late progress must not revive them

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function badge(status) {
  const node = element("span", `badge status-${status}`, status);
  node.dataset.status = "";
  return node;
}

// --- progress bars -------------------------------------------------------------------------

function updateIdle() {
  noBars.hidden = bars.children.length > 0;
}

function showProgress({ run, user, epoch, epochs, train_loss: train, val_loss: val, ghost }) {
  if (finished.has(run)) return;
  let bar = bars.querySelector(`[data-run="${run}"]`);
  if (!bar) {
    bar = element("li", "race-run");
    bar.dataset.run = String(run);
    const who = element("span", "who");
    const link = element("a", null, `#${run}`);
    link.href = runUrl(run);
    who.append(element("strong", null, user), " ", link);
    if (user === viewer) who.append(" ", element("span", "badge mine", "you"));
    bar.append(who, element("progress"), element("span", "numbers"));
    bars.append(bar);
    updateIdle();
  }
  const progress = bar.querySelector("progress");
  progress.max = epochs || 1;
  progress.value = epoch || 0;
  bar.dataset.epoch = String(epoch || 0);
  bar.querySelector(".numbers").textContent =
    `epoch ${epoch || 0} / ${epochs ?? "?"} · train ${formatLoss(train)} · val ${formatLoss(val)}` +
    (ghost ? ` · ${gapText(ghost)}` : "");
  if (ghost) bar.dataset.ghostDelta = typeof ghost.delta === "number" ? String(ghost.delta) : "";
}

function showFinished({ run, status }) {
  finished.add(run);
  const bar = bars.querySelector(`[data-run="${run}"]`);
  if (!bar) return;
  bar.classList.add("finished");
  bar.dataset.status = status;
  bar.querySelector(".who").append(" ", badge(status));
  window.setTimeout(() => {
    bar.remove();
    updateIdle();
  }, FINISHED_SHOWN_MS);
}

// --- the viewer's own runs -----------------------------------------------------------------

function myRunRow(run) {
  if (!myRuns) return null;
  let row = myRuns.querySelector(`tr[data-run="${run}"]`);
  if (row) return row;
  // A run submitted after the page loaded: add its row on top (columns as the server's).
  row = myRuns.tBodies[0].insertRow(0);
  row.dataset.run = String(run);
  const link = element("a", null, `#${run}`);
  link.href = runUrl(run);
  const columns = myRuns.tHead.rows[0].cells.length;
  const texts = [link, badge("running"), "", "–"];
  for (let i = 0; i < columns; i += 1) {
    const td = row.insertCell();
    const text = texts[i] ?? "";
    if (text instanceof Node) td.append(text);
    else td.textContent = text;
  }
  row.cells[1].dataset.field = "status";
  row.cells[2].dataset.field = "epochs";
  row.cells[3].dataset.field = "val_score";
  myRuns.hidden = false;
  const none = document.querySelector("[data-no-runs]");
  if (none) none.hidden = true;
  return row;
}

function setMyRun(run, { status, epoch, epochs, score }) {
  const row = myRunRow(run);
  if (!row) return;
  const field = (name) => row.querySelector(`[data-field="${name}"]`);
  if (status && field("status")) field("status").replaceChildren(badge(status));
  if (epoch !== undefined && field("epochs")) field("epochs").textContent = `${epoch} / ${epochs}`;
  if (score !== undefined && field("val_score")) {
    field("val_score").textContent = formatScore(score);
  }
}

// --- the stream ----------------------------------------------------------------------------

function joinRace(run, user, mine) {
  if (chart === null) return false;
  if (chart.has(run)) return true;
  if (!mine && chart.size >= RACE_SERIES) return false;
  chart.add(run, { user, mine });
  return true;
}

// A racer's ghost: a dashed line in the racer's colour, growing with the racer's epochs.
function joinGhost(racer, { run, user }) {
  if (chart === null || !chart.has(racer)) return false;
  const key = ghostKey(racer);
  if (!chart.has(key)) chart.add(key, { ghostOf: racer, label: `ghost: ${user} #${run}` });
  return true;
}

// The seq shown and the snapshots taken, for the curious (and the browser tests).
function mark(seq, snapshot) {
  if (typeof seq === "number") root.dataset.seq = String(seq);
  if (snapshot) root.dataset.snapshots = String(Number(root.dataset.snapshots || 0) + 1);
}

let own = null; // the viewer's own row, as of the last snapshot (protocol 2 sends the top)

function onSnapshot(message) {
  mark(message.seq, true);
  own = message.own ?? null;
  board.show(message.entries, own);
  if (leader) leader.entries(message.entries);
  if (message.board_only) return; // a resync: the race and the bars are still current
  if (chart !== null) {
    chart.clear();
    for (const curve of message.curves || []) {
      joinRace(curve.run, curve.user, curve.mine);
      chart.setPoints(curve.run, curve.records);
    }
    for (const ghost of message.ghosts || []) {
      if (joinGhost(ghost.racer, ghost)) chart.setPoints(ghostKey(ghost.racer), ghost.records);
    }
  }
  const running = new Set((message.running || []).map((r) => r.run));
  for (const bar of [...bars.children]) {
    if (!bar.classList.contains("finished") && !running.has(Number(bar.dataset.run))) {
      bar.remove();
    }
  }
  for (const progress of message.running || []) {
    finished.delete(progress.run);
    showProgress(progress);
  }
  updateIdle();
}

function onMessage(message) {
  if (leader) leader.progress(message);
  if (message.type === "run.progress") {
    showProgress(message);
    if (joinRace(message.run, message.user, message.user === viewer)) {
      chart.append(message.run, message.epoch, message.val_loss);
      if (message.ghost && joinGhost(message.run, message.ghost)) {
        chart.append(ghostKey(message.run), message.epoch, message.ghost.val_loss);
      }
    }
    if (viewer && message.user === viewer) {
      setMyRun(message.run, { status: "running", epoch: message.epoch, epochs: message.epochs });
    }
  } else if (message.type === "run.finished") {
    showFinished(message);
    if (viewer && message.user === viewer) {
      setMyRun(message.run, { status: message.status, score: message.score ?? null });
    }
  } else if (message.type === "presence.update") {
    online.textContent = `ONLINE ${message.online}`;
    online.dataset.online = String(message.online);
    online.hidden = false;
  }
}

function onState(state, { delay } = {}) {
  liveState.dataset.state = state;
  liveState.textContent = {
    connecting: "connecting…",
    open: "live",
    waiting: `reconnecting in ${Math.ceil((delay || 0) / 1000)} s`,
    gone: "offline",
  }[state];
}

// Protocol 2: the top rows as what changed, progress batched, a seq heartbeat (live.js).
connectLive(`${root.dataset.wsUrl}?protocol=2`, {
  onSnapshot,
  onUpdate(message) {
    mark(message.seq, false);
    board.show(message.entries, own);
    if (leader) leader.entries(message.entries);
  },
  onMessage,
  onState,
});
