// The learning-rate lab: three runs of one spec (learning rate ÷10, ×1, ×10) on one chart.
// Each run streams over /ws/runs/<id>/ (run.snapshot, run.epoch, run.status); when a run
// ends the page re-fetches /api/labs/<id>/ for the statuses and the explanation.

import { formatLoss, logAxis } from "./charts.js";
import { connectLive } from "./live.js";

const COLOURS = ["#3056d3", "#009e73", "#d55e00"];
const FINAL = new Set(["succeeded", "diverged", "failed", "timed_out", "cancelled"]);

const root = document.getElementById("lab");
const runs = JSON.parse(document.getElementById("lab-histories").textContent);
const byEpoch = runs.map((run) => new Map(run.history.map((r) => [r.epoch, r])));
let logScale = true;
let plot = null;

function drawable(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  return logScale && value <= 0 ? null : value;
}

function columns() {
  const epochs = new Set();
  byEpoch.forEach((records) => records.forEach((_r, epoch) => epochs.add(epoch)));
  const xs = [...epochs].sort((a, b) => a - b);
  return [xs, ...byEpoch.map((records) => xs.map((e) => {
    const record = records.get(e);
    return record ? drawable(record.val_loss ?? record.train_loss) : null;
  }))];
}

function build() {
  const container = document.getElementById("lab-chart");
  if (typeof window.uPlot !== "function") {
    document.querySelector("[data-chart-fallback]").hidden = false;
    return;
  }
  if (plot) plot.destroy();
  plot = new window.uPlot({
    width: Math.max(280, container.clientWidth || 600),
    height: 300,
    scales: { x: { time: false }, y: logScale ? { distr: 3, log: 10 } : { auto: true } },
    axes: [{ label: "epoch" },
      logScale
        ? { label: "validation loss", ...logAxis }
        : { label: "validation loss", size: 70, values: (_c, ticks) => ticks.map(formatLoss) }],
    series: [{ label: "epoch" }, ...runs.map((run, i) => ({
      label: run.label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: false,
      // A run that diverged in its first epochs is a point or two: draw them as dots.
      points: { size: 9, fill: COLOURS[i % COLOURS.length],
                show: (u, si) => u.data[si].filter((v) => v != null).length < 5 },
      value: (_c, v) => (v == null ? "–" : formatLoss(v)),
    }))],
    legend: { live: true },
  }, columns(), container);
}

let pending = false;
function redraw() {
  if (pending || !plot) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; plot.setData(columns()); });
}

function setCell(runId, field, text) {
  const cell = root.querySelector(`[data-lab-run="${runId}"] [data-field="${field}"]`);
  if (cell) cell.textContent = text;
}

async function refresh() {
  const response = await fetch(root.dataset.apiUrl, { credentials: "same-origin" });
  if (!response.ok) return;
  const lab = await response.json();
  for (const run of lab.runs) {
    setCell(run.id, "status", run.status);
    setCell(run.id, "epochs_done", `${run.epochs_done} / ${run.epochs}`);
    setCell(run.id, "val_loss", run.val_loss == null ? "–" : formatLoss(run.val_loss));
    setCell(run.id, "val_score", run.val_score == null ? "–" : run.val_score.toFixed(4));
  }
  const list = root.querySelector("[data-explanation-lines]");
  list.replaceChildren(...lab.explanation.lines.map((line) => {
    const item = document.createElement("li");
    item.textContent = line;
    return item;
  }));
  root.querySelector("[data-explanation-pending]").hidden = lab.explanation.done;
}

build();
document.querySelector("[data-log-scale]").addEventListener("change", (event) => {
  logScale = event.target.checked;
  build();
});

const liveState = document.querySelector("[data-live-state]");
runs.forEach((run, index) => {
  if (FINAL.has(run.status)) return;
  const live = connectLive(`/ws/runs/${run.id}/`, {
    onSnapshot(message) {
      byEpoch[index] = new Map(message.run.history.map((r) => [r.epoch, r]));
      setCell(run.id, "status", message.run.status);
      redraw();
      if (FINAL.has(message.run.status)) { live.close(); refresh(); }
    },
    onMessage(message) {
      if (message.type === "run.epoch") {
        message.records.forEach((r) => byEpoch[index].set(r.epoch, r));
        const last = message.records[message.records.length - 1];
        if (last) {
          setCell(run.id, "epochs_done", `${last.epoch}`);
          setCell(run.id, "val_loss", formatLoss(last.val_loss ?? last.train_loss));
        }
        redraw();
      } else if (message.type === "run.status") {
        setCell(run.id, "status", message.status);
        if (FINAL.has(message.status)) { live.close(); refresh(); }
      }
    },
    onState(state) {
      if (liveState) liveState.textContent = state === "open" ? "live" : "";
    },
  });
});
