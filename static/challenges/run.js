// The run page: draw the loss chart and, while the run is queued or running, poll
// GET /api/runs/<id>/ every 2 s and update the status, the numbers and the chart in place.
// TODO(#5): replace polling with the /ws/runs/<id>/ stream.

import { createLossChart, formatLoss } from "./charts.js";

const POLL_MS = 2000;
const LIVE = new Set(["queued", "running"]);

const root = document.getElementById("run");
const history = JSON.parse(document.getElementById("run-history").textContent);
const chartBox = document.getElementById("loss-chart");
const logToggle = root.querySelector("[data-log-scale]");
const chart = createLossChart(chartBox, history, { logScale: logToggle.checked });

if (chart === null) {
  root.querySelector("[data-chart-fallback]").hidden = false;
  logToggle.disabled = true;
} else {
  logToggle.addEventListener("change", () => chart.setLogScale(logToggle.checked));
}

function setField(name, text) {
  const element = root.querySelector(`[data-field="${name}"]`);
  if (element) element.textContent = text;
}

function showStatus(status) {
  const badge = root.querySelector("[data-status]");
  badge.textContent = status;
  badge.className = `badge status-${status}`;
}

function show(run) {
  showStatus(run.status);
  setField("attempt", String(run.attempt));
  setField("epochs_done", String(run.epochs_done));
  setField("train_loss", formatLoss(run.train_loss));
  setField("val_loss", formatLoss(run.val_loss));
  if (chart !== null && Array.isArray(run.history)) chart.update(run.history);
}

async function poll() {
  let run;
  try {
    const response = await fetch(root.dataset.apiUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.status === 404) return; // the run is gone (or no longer visible): stop
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    run = await response.json();
  } catch (error) {
    // A restarting server or a dropped connection: try again on the next tick.
    console.warn("descent: polling the run failed", error);
    window.setTimeout(poll, POLL_MS * 2);
    return;
  }
  show(run);
  if (LIVE.has(run.status)) {
    window.setTimeout(poll, POLL_MS);
  } else {
    // Finished: the server renders what only a final run has (scores, diagnoses, errors).
    window.location.reload();
  }
}

if (root.dataset.live === "1") window.setTimeout(poll, POLL_MS);
