// The run page: draw the loss chart and, while the run is queued or running, stream it over
// /ws/runs/<id>/ — `run.snapshot` (everything so far), `run.epoch` (the new epochs' records),
// `run.status` — and update the status, the numbers, the chart, the scores and the diagnoses
// in place. Only if the socket fails FALLBACK_AFTER times in a row without a message does the
// page poll GET /api/runs/<id>/ instead, until the socket comes back.

import { createLossChart } from "../common/charts.js";
import { formatLoss, formatScore, formatUtc } from "../common/format.js";
import { connectLive } from "../common/live.js";
import { createRunGhost } from "./ghost.js";
import { showVerification } from "./verification.js";
import { mountInstruments } from "./instruments.js";

const POLL_MS = 2000;
const FALLBACK_AFTER = 4;
const LIVE = new Set(["queued", "running"]);

const root = document.getElementById("run");
let history = JSON.parse(document.getElementById("run-history").textContent);
const chartBox = document.getElementById("loss-chart");
const logToggle = root.querySelector("[data-log-scale]");
const chart = createLossChart(chartBox, history, { logScale: logToggle.checked,
                                                   status: root.dataset.status });
const liveState = root.querySelector("[data-live-state]");
// A ghost race: the ghost's losses drawn dashed, as far as this run has come while it runs.
const ghostData = JSON.parse(document.getElementById("run-ghost").textContent);
const ghost = ghostData ? createRunGhost({
  ghost: ghostData, chart, gapCell: root.querySelector("[data-ghost-gap]"),
  live: root.dataset.live === "1", epoch: history.length ? history.at(-1).epoch : 0,
}) : null;
const instruments = mountInstruments(
  document, JSON.parse(document.getElementById("run-instruments").textContent),
  { apiUrl: root.dataset.instrumentsUrl },
);

if (chart === null) {
  root.querySelector("[data-chart-fallback]").hidden = false;
  logToggle.disabled = true;
} else {
  logToggle.addEventListener("change", () => chart.setLogScale(logToggle.checked));
}

function field(name) {
  return root.querySelector(`[data-field="${name}"]`);
}

function setField(name, text) {
  const element = field(name);
  if (element) element.textContent = text;
}

function setTime(name, iso) {
  const element = field(name);
  if (!element) return;
  const date = iso ? new Date(iso) : null;
  if (!date || Number.isNaN(date.getTime())) {
    element.textContent = "–";
    return;
  }
  const time = document.createElement("time");
  time.dateTime = iso;
  time.textContent = `${formatUtc(date, { seconds: true })} UTC`;
  element.replaceChildren(time);
}

function showStatus(status) {
  const badge = root.querySelector("[data-status]");
  badge.textContent = status;
  badge.className = `badge status-${status}`;
  root.dataset.status = status;
  const cancel = root.querySelector("[data-cancel]");
  if (cancel && !LIVE.has(status)) cancel.closest("form").hidden = true;
}

function showError(status, error) {
  const element = field("error");
  if (!element) return;
  element.textContent = error || "";
  element.hidden = !error;
  element.classList.toggle("muted", status === "cancelled");
  element.classList.toggle("bad", status !== "cancelled");
}

function showDiagnoses(diagnoses) {
  const section = document.querySelector("[data-diagnoses]");
  if (!section || !Array.isArray(diagnoses)) return;
  section.querySelector("ul").replaceChildren(...diagnoses.map((diagnosis) => {
    const item = document.createElement("li");
    const code = document.createElement("code");
    code.textContent = diagnosis.code;
    item.append(code, ` ${diagnosis.message}`);
    return item;
  }));
  section.hidden = diagnoses.length === 0;
}

function showLosses({ train_loss: train, val_loss: val }) {
  setField("train_loss", formatLoss(train));
  setField("val_loss", formatLoss(val));
}

function redraw() {
  if (chart !== null) chart.update(history, root.dataset.status);
}

/** Show a whole run, as `run.snapshot` or the HTTP API describes it. */
function showRun(run) {
  showStatus(run.status);
  setField("attempt", String(run.attempt));
  setField("epochs_done", String(run.epochs_done));
  showLosses(run);
  setField("val_score", formatScore(run.val_score));
  if (typeof run.test_score === "number") setField("test_score", formatScore(run.test_score));
  setTime("started_at", run.started_at);
  setTime("finished_at", run.finished_at);
  showError(run.status, run.error);
  showDiagnoses(run.diagnoses);
  if (Array.isArray(run.history)) {
    history = run.history;
    redraw();
  }
  if (ghost !== null) ghost.snapshot(run);
  if ("verification" in run) showVerification(root.querySelector("[data-verification]"),
                                              run.verification);
}

/** Add the records of a `run.epoch`; an epoch at or before the last means a new attempt. */
function appendRecords(records) {
  if (!records.length) return;
  const first = records[0].epoch;
  if (history.length && history.at(-1).epoch >= first) {
    history = history.filter((record) => record.epoch < first);
  }
  history = history.concat(records);
  redraw();
}

// --- the stream, and the fallback ----------------------------------------------------------

let live = null;
let polling = false;

async function poll() {
  if (!polling) return;
  let run;
  try {
    const response = await fetch(root.dataset.apiUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.status === 404) return; // gone, or no longer visible: stop
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    run = await response.json();
  } catch (error) {
    console.warn("descent: polling the run failed", error);
    window.setTimeout(poll, POLL_MS * 2);
    return;
  }
  if (!polling) return; // the socket came back meanwhile
  showRun(run);
  if (LIVE.has(run.status)) window.setTimeout(poll, POLL_MS);
  else finish();
}

function startPolling() {
  if (polling) return;
  polling = true;
  window.setTimeout(poll, POLL_MS);
}

// A run that ended keeps its stream open until its terrain arrives (computed afterwards).
let terrainSettled = false;

function finish() {
  polling = false;
  instruments.ended();
  if (!terrainSettled) return;
  if (live !== null) live.close();
  live = null;
  liveState.textContent = "";
}

function onSnapshot({ run, instruments: measured }) {
  polling = false;
  showRun(run);
  instruments.show(measured);
  const terrain = measured?.terrain;
  // A run that succeeded or diverged gets a terrain (asked for just after its final status).
  terrainSettled = terrain ? terrain.status !== "pending"
    : !["succeeded", "diverged"].includes(run.status);
  if (!LIVE.has(run.status)) finish();
}

function onMessage(message) {
  polling = false;
  instruments.onMessage(message);
  if (message.type === "run.terrain") {
    terrainSettled = true;
    finish();
  } else if (message.type === "run.epoch") {
    appendRecords(message.records || []);
    setField("epochs_done", String(message.epoch));
    showLosses(message);
    if (ghost !== null) ghost.epoch(message);
  } else if (message.type === "run.queue") {
    // Fair shares: this run's place among its builder's waiting runs, or sent on (null).
    const place = root.querySelector("[data-queue-place]");
    if (place) {
      place.hidden = !message.waiting;
      setField("queue_ahead", String(message.ahead ?? 0));
    }
  } else if (message.type === "run.verification") {
    showVerification(root.querySelector("[data-verification]"), message.verification);
  } else if (message.type === "run.status") {
    showStatus(message.status);
    if (ghost !== null && !LIVE.has(message.status)) ghost.finished();
    redraw(); // a run that diverged gets its blow-up marked at once
    setField("epochs_done", String(message.epochs_done));
    setField("val_score", formatScore(message.val_score));
    showError(message.status, message.error);
    showDiagnoses(message.diagnoses);
    // The status message is short; the snapshot has the rest (timestamps, the test score,
    // the attempt), and a final snapshot ends the stream.
    if (live !== null) live.resync();
  }
}

function onState(state, { failures = 0, delay = 0 } = {}) {
  liveState.dataset.state = state;
  liveState.textContent = {
    connecting: "connecting…",
    open: "live",
    waiting: `reconnecting in ${Math.ceil(delay / 1000)} s`,
    gone: "",
  }[state];
  if (state === "waiting" && failures >= FALLBACK_AFTER) startPolling();
}

// Live runs stream; a finished run whose terrain is still being computed listens for it.
if (root.dataset.live === "1" || root.dataset.terrainPending === "1") {
  live = connectLive(root.dataset.wsUrl, { onSnapshot, onMessage, onState });
} else {
  instruments.ended();
}
