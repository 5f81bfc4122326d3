// The compare page: the picked runs' validation losses on one chart (the multi-run chart of
// static/common/charts.js, outliers clipped), and the challenge's leaderboard in parallel
// coordinates (static/common/parallel.js): hyperparameters → score, runs with a visible spec.

import { createOverlayChart } from "../common/multi-run-charts.js";
import { drawParallel } from "../common/parallel.js";

const curves = JSON.parse(document.getElementById("compare-curves").textContent);
const coordinates = JSON.parse(document.getElementById("compare-coordinates").textContent);

const chartBox = document.getElementById("compare-chart");
if (chartBox && curves.length) {
  const logToggle = document.querySelector("[data-log-scale]");
  const chart = createOverlayChart(chartBox, curves, { logScale: logToggle.checked });
  if (chart === null) {
    document.querySelector("[data-chart-fallback]").hidden = false;
    logToggle.disabled = true;
  } else {
    logToggle.addEventListener("change", () => chart.setLogScale(logToggle.checked));
  }
}

const parallelBox = document.querySelector("[data-parallel]");
if (parallelBox && coordinates) {
  const lines = coordinates.lines;
  const axes = [
    { key: "learning_rate", label: "learning rate", scale: "log" },
    { key: "optimizer", label: "optimizer", scale: "category" },
    { key: "batch_size", label: "batch size", scale: "log" },
    { key: "depth", label: "depth", scale: "linear" },
    { key: "width", label: "width", scale: "log" },
    { key: "epochs", label: "epochs", scale: "log" },
    { key: "score", label: coordinates.metric, scale: "linear" },
  ];
  const worst = Math.max(1, ...lines.map((line) => line.rank));
  drawParallel(parallelBox, lines, axes, {
    // Rank 1 in the first series colour at full strength, the rest fading with their rank.
    colour: (line, _i, theme) => (line.rank <= 3 ? theme.series[line.rank - 1] : theme.axis),
    title: (line) => `#${line.rank} ${line.user} (run ${line.run}): ${coordinates.metric} ${line.score}`,
  });
  parallelBox.dataset.worst = String(worst);
}
