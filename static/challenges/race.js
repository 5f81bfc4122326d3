// The loss race: validation loss per epoch of several runs on one uPlot chart.
//
// uPlot wants one shared x column, so the runs' points are merged on the union of their
// epochs, with null where a run has no point (spanGaps draws through them). Points arrive one
// per `run.progress`; drawing is coalesced to one redraw per animation frame. Without uPlot
// (window.uPlot missing) createRaceChart returns null.

import { formatLoss, logAxis } from "./charts.js";

const COLOURS = ["#3056d3", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#7a5195",
  "#4d4d4d"];
const MAX_POINTS_PER_RUN = 600;
const HEIGHT = 300;

// Finite and > 0: the y axis is logarithmic, where 0 and negatives have no place.
function drawable(value) {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : null;
}

/** Merge per-run [epoch, loss] lists into uPlot columns: [epochs, run 1 losses, ...]. */
export function raceColumns(runs) {
  const epochs = new Set();
  for (const run of runs) for (const [epoch] of run.points) epochs.add(epoch);
  const xs = [...epochs].sort((a, b) => a - b);
  const index = new Map(xs.map((epoch, i) => [epoch, i]));
  const columns = runs.map((run) => {
    const column = new Array(xs.length).fill(null);
    for (const [epoch, loss] of run.points) column[index.get(epoch)] = loss;
    return column;
  });
  return [xs, ...columns];
}

function options(width, runs) {
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: false }, y: { distr: 3, log: 10 } },
    axes: [
      { label: "epoch" },
      { label: "validation loss", ...logAxis },
    ],
    series: [
      { label: "epoch" },
      ...runs.map((run) => ({
        label: run.label,
        stroke: run.colour,
        width: run.mine ? 3 : 1.5,
        spanGaps: true,
        points: { show: false },
        value: (_u, v) => (v == null ? "–" : formatLoss(v)),
      })),
    ],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
  };
}

/**
 * Make a race chart in `container`. Returns {has, add, setPoints, append, clear, size}, or
 * null without uPlot. The container's data-series (lines), data-points (points) and
 * data-latest-epoch (of the last point appended) follow what is drawn; tests read them.
 */
export function createRaceChart(container) {
  const uPlot = window.uPlot;
  if (typeof uPlot !== "function") return null;
  const runs = new Map(); // run id → {label, mine, colour, points: [[epoch, loss], ...]}
  let plot = null;
  let rebuild = true;
  let frame = null;
  let latestEpoch = 0; // the epoch of the last point a progress message added

  const width = () => Math.max(280, container.clientWidth || 700);

  function draw() {
    frame = null;
    const list = [...runs.values()];
    const data = raceColumns(list);
    if (rebuild) {
      rebuild = false;
      if (plot) plot.destroy();
      plot = list.length ? new uPlot(options(width(), list), data, container) : null;
    } else if (plot) {
      plot.setData(data);
    }
    container.dataset.series = String(list.length);
    container.dataset.points = String(list.reduce((sum, run) => sum + run.points.length, 0));
    container.dataset.latestEpoch = String(latestEpoch);
  }

  function schedule() {
    if (frame === null) frame = window.requestAnimationFrame(draw);
  }

  // Keep a long run's line light: drop every other point, never the latest.
  function thin(points) {
    if (points.length <= MAX_POINTS_PER_RUN) return points;
    return points.filter((_p, i) => i % 2 === 0 || i === points.length - 1);
  }

  new ResizeObserver(() => plot && plot.setSize({ width: width(), height: HEIGHT }))
    .observe(container);

  return {
    has: (run) => runs.has(run),
    get size() {
      return runs.size;
    },
    /** Add a run's line (no-op if present); `user` is shown as text by uPlot's legend. */
    add(run, { user, mine = false }) {
      if (runs.has(run)) return;
      const used = new Set([...runs.values()].map((r) => r.colour));
      const colour = COLOURS.find((c) => !used.has(c)) || COLOURS[runs.size % COLOURS.length];
      runs.set(run, { label: `${user} #${run}${mine ? " (you)" : ""}`, mine, colour, points: [] });
      rebuild = true;
      schedule();
    },
    /** Replace a run's points with `records` ({epoch, val_loss}). */
    setPoints(run, records) {
      const entry = runs.get(run);
      if (!entry) return;
      entry.points = thin(records.map((r) => [r.epoch, drawable(r.val_loss)]));
      schedule();
    },
    /** Add one point; an epoch at or before the last one means the run started over. */
    append(run, epoch, valLoss) {
      const entry = runs.get(run);
      if (!entry || typeof epoch !== "number") return;
      if (entry.points.length && entry.points.at(-1)[0] >= epoch) {
        entry.points = entry.points.filter(([e]) => e < epoch);
      }
      entry.points.push([epoch, drawable(valLoss)]);
      latestEpoch = epoch;
      entry.points = thin(entry.points);
      schedule();
    },
    clear() {
      runs.clear();
      rebuild = true;
      schedule();
    },
  };
}
