// The learning-rate lab: three runs of one spec (learning rate ÷10, ×1, ×10) on one chart.
// Each run streams over /ws/runs/<id>/ (run.snapshot, run.epoch, run.status); when a run
// ends the page re-fetches /api/labs/<id>/ for the statuses and the explanation. The chart
// (static/common/charts.js) clips a diverged run's absurd losses to its top edge, so the
// other two curves stay readable.

import { createLabChart } from "../common/multi-run-charts.js";
import { formatLoss, formatScore } from "../common/format.js";
import { connectLive } from "../common/live.js";
import { drawTerrain } from "../common/pictures.js";

const FINAL = new Set(["succeeded", "diverged", "failed", "timed_out", "cancelled"]);

const root = document.getElementById("lab");
const runs = JSON.parse(document.getElementById("lab-histories").textContent);
const byEpoch = runs.map((run) => new Map(run.history.map((r) => [r.epoch, r])));
const sorted = (records) => [...records.values()].sort((a, b) => a.epoch - b.epoch);
const logToggle = document.querySelector("[data-log-scale]");
const chart = createLabChart(document.getElementById("lab-chart"), runs,
                             { logScale: logToggle.checked });

if (chart === null) {
  document.querySelector("[data-chart-fallback]").hidden = false;
  logToggle.disabled = true;
} else {
  logToggle.addEventListener("change", () => chart.setLogScale(logToggle.checked));
}

function redraw(index) {
  if (chart !== null) chart.update(index, sorted(byEpoch[index]));
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
    setCell(run.id, "val_loss", formatLoss(run.val_loss));
    setCell(run.id, "val_score", formatScore(run.val_score));
  }
  const list = root.querySelector("[data-explanation-lines]");
  list.replaceChildren(...lab.explanation.lines.map((line) => {
    const item = document.createElement("li");
    item.textContent = line;
    return item;
  }));
  root.querySelector("[data-explanation-pending]").hidden = lab.explanation.done;
  terrainWhenDone();
}

// The shared terrain: asked for when the last run ends, computed by a background task; the
// page asks /api/labs/<id>/terrain/ until it is there (each run's stream closes at its end).
const terrainBox = document.querySelector("[data-lab-terrain]");
const TERRAIN_POLL_MS = 1500;
const TERRAIN_POLLS = 120;
let terrainPolls = 0;
let terrainTimer = null;

async function loadTerrain() {
  terrainTimer = null;
  const response = await fetch(terrainBox.dataset.apiUrl, { credentials: "same-origin" });
  if (!response.ok) return;
  const { runs: ids, terrain } = await response.json();
  const status = terrainBox.querySelector("[data-terrain-status]");
  if (terrain && terrain.status === "ready") {
    const canvas = terrainBox.querySelector("[data-terrain-canvas]");
    canvas.hidden = false;
    const labels = terrain.surface.runs.map((id) => runs.find((r) => r.id === id)?.label || `#${id}`);
    drawTerrain(canvas, terrain.surface, { labels });
    canvas.dataset.drawn = "1";
    canvas.dataset.paths = String(terrain.surface.paths.length);
    status.textContent = `${terrain.surface.paths.length} paths of runs ${ids.map((id) => `#${id}`).join(", ")}; ${Math.round(100 * (terrain.surface.explained_variance || [0, 0]).reduce((a, b) => a + b, 0))} % of their movement lies in this plane.`;
    return;
  }
  if (terrain && terrain.status === "failed") {
    status.textContent = `No terrain: ${terrain.error}.`;
    return;
  }
  terrainPolls += 1;
  if (terrainPolls < TERRAIN_POLLS) terrainTimer = window.setTimeout(loadTerrain, TERRAIN_POLL_MS);
}

function terrainWhenDone() {
  const statuses = [...root.querySelectorAll("[data-lab-run] [data-field='status']")]
    .map((cell) => cell.textContent.trim());
  if (terrainBox && terrainTimer === null && statuses.every((s) => FINAL.has(s))) loadTerrain();
}

const liveState = document.querySelector("[data-live-state]");
runs.forEach((run, index) => {
  if (FINAL.has(run.status)) return;
  const live = connectLive(`/ws/runs/${run.id}/`, {
    onSnapshot(message) {
      byEpoch[index] = new Map(message.run.history.map((r) => [r.epoch, r]));
      setCell(run.id, "status", message.run.status);
      redraw(index);
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
        redraw(index);
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

terrainWhenDone(); // a lab that ended before the page opened
