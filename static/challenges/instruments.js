// A run's instruments on its page: the decision boundary (animated as run.boundary frames
// arrive; a replay slider over every stored frame once the run ended), the gradient strip
// (run.layers: gradient RMS and update/weight ratio per layer) and the terrain (run.terrain,
// when the background task has computed it). run.js hands it the stream's messages.

import { createLayerChart } from "../common/layer-chart.js";
import { drawBoundary, drawTerrain } from "../common/pictures.js";

const LAYER_POINTS = 600;

/** Mount the instruments under `root`; return {show(instruments), onMessage(m), ended()}. */
export function mountInstruments(root, initial, { apiUrl }) {
  const boundaryBox = root.querySelector("[data-boundary]");
  const canvas = root.querySelector("[data-boundary-canvas]");
  const epochLabel = root.querySelector("[data-boundary-epoch]");
  const replay = root.querySelector("[data-replay]");
  const slider = root.querySelector("[data-replay-slider]");
  const layersBox = root.querySelector("[data-layers]");
  const terrainBox = root.querySelector("[data-terrain]");
  const terrainCanvas = root.querySelector("[data-terrain-canvas]");
  const terrainStatus = root.querySelector("[data-terrain-status]");
  let points = initial.boundary?.points || null;
  let frames = initial.boundary?.frames || [];
  let samples = initial.layers || [];
  let pending = null;
  let replayLoaded = false;
  const charts = layersBox && initial.layers !== null
    ? [...layersBox.querySelectorAll("[data-layer-chart]")].map((box) =>
      createLayerChart(box, samples, { key: box.dataset.layerChart,
                                       label: box.dataset.label }))
    : [];

  function paint(frame) {
    if (!canvas || !frame) return;
    drawBoundary(canvas, frame, points);
    canvas.dataset.epoch = String(frame.epoch);
    epochLabel.textContent = String(frame.epoch);
  }

  function showFrame(frame) {
    // Frames come ≤ 10 a second; draw the newest once per animation frame.
    if (pending === null) {
      window.requestAnimationFrame(() => {
        paint(pending);
        pending = null;
      });
    }
    pending = frame;
  }

  function showLayers() {
    if (samples.length > LAYER_POINTS) {
      const step = Math.ceil(samples.length / LAYER_POINTS);
      samples = samples.filter((_s, i) => i % step === 0 || i === samples.length - 1);
    }
    for (const chart of charts) if (chart) chart.update(samples);
  }

  function showTerrain(terrain) {
    if (!terrainBox || !terrain) return;
    terrainBox.hidden = false;
    terrainStatus.textContent = {
      pending: "Computing the terrain around the final weights…",
      failed: `No terrain: ${terrain.error || "it could not be computed"}.`,
      ready: terrainCaption(terrain),
    }[terrain.status] || "";
    if (terrain.status === "ready") {
      const surface = terrain.surface || terrain.terrain;
      drawTerrain(terrainCanvas, surface);
      terrainCanvas.hidden = false;
      terrainCanvas.dataset.drawn = "1";
    }
  }

  function terrainCaption(terrain) {
    const surface = terrain.surface || terrain.terrain;
    const variance = surface?.explained_variance;
    const share = variance ? ` (${Math.round((variance[0] + variance[1]) * 100)} % of the path's movement lies in this plane)` : "";
    const diverged = (surface?.diverged || [])[0];
    return diverged
      ? `The path starts in the ring and leaves the valley: the steps were too large${share}.`
      : `The path starts in the ring and ends on the dot, in the valley${share}.`;
  }

  async function loadReplay() {
    if (replayLoaded || !boundaryBox || boundaryBox.hidden) return;
    replayLoaded = true;
    const response = await fetch(apiUrl, { credentials: "same-origin" });
    if (!response.ok) return;
    const data = await response.json();
    frames = data.boundary?.frames || frames;
    if (Array.isArray(data.layers)) {
      samples = data.layers;
      showLayers();
    }
    if (frames.length > 1) {
      slider.max = String(frames.length - 1);
      slider.value = slider.max;
      replay.hidden = false;
      slider.addEventListener("input", () => paint(frames[Number(slider.value)]));
    }
  }

  if (frames.length) paint(frames.at(-1));
  else if (canvas && points) drawBoundary(canvas, null, points);
  showTerrain(initial.terrain);

  return {
    show(instruments) {
      if (!instruments) return;
      points = instruments.boundary?.points || points;
      const latest = instruments.boundary?.frames?.at(-1);
      if (latest) showFrame(latest);
      if (Array.isArray(instruments.layers)) {
        samples = instruments.layers;
        showLayers();
      }
      showTerrain(instruments.terrain);
    },
    onMessage(message) {
      if (message.type === "run.boundary") {
        showFrame(message.frame);
      } else if (message.type === "run.layers") {
        const first = message.samples[0]?.epoch ?? Infinity;
        samples = samples.filter((s) => s.epoch < first).concat(message.samples);
        showLayers();
      } else if (message.type === "run.terrain") {
        showTerrain({ status: message.status, error: message.error, surface: message.terrain });
      }
    },
    ended() {
      loadReplay();
    },
  };
}
