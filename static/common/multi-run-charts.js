// Several runs' validation loss on one log axis, outliers clipped (static/common/charts.js
// has the shared pieces):
//
//   createRaceChart(container)                  the challenge page's loss race (and ghosts)
//   createLabChart(container, runs, {logScale})  the lab: one spec, three rates
//   createOverlayChart(container, runs, {...})   the compare page: any runs

import {
  chartTheme,
  widthOf,
  yScale,
  axis,
  lossAxis,
  exactValue,
  markerPlugin,
  drawable,
  clipOutliers,
  describe,
  themed,
  followWidth,
} from "./charts.js";

/** Merge per-run [epoch, loss] lists into uPlot columns: [epochs, run 1 losses, ...]. */
export function mergeRuns(runs) {
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

/**
 * A chart of several runs' validation loss on one log axis, outliers clipped.
 *
 * `runs()` returns [{label, colour (series index), width, points: [[epoch, loss], ...]}].
 * Returns {draw(rebuild), destroy()}; the container's data-series, data-points and data-y-max
 * (the top of the loss axis) say what is drawn.
 */
function createMultiRunChart(container, runs, { height, log = () => true, dots = false,
                                                   label = "validation loss" }) {
  const uPlot = window.uPlot;
  let plot = null;
  let markers = { diverged: null, clipped: [] };
  let exact = [];

  function columns(list) {
    const raw = mergeRuns(list);
    exact = raw; // the legend shows these, also where a line is clipped
    const data = [raw[0], ...raw.slice(1).map((column) => column.map((v) => drawable(v, log())))];
    if (!log()) return data;
    const { columns: drawn, clipped } = clipOutliers(data);
    markers = { diverged: null, clipped };
    return drawn;
  }

  function draw(rebuild) {
    const list = runs();
    markers = { diverged: null, clipped: [] };
    const data = columns(list);
    if (rebuild || plot === null) {
      if (plot) plot.destroy();
      plot = null;
      if (list.length) {
        const theme = chartTheme();
        plot = new uPlot({
          width: widthOf(container),
          height,
          scales: { x: { time: false }, y: yScale(log()) },
          axes: [axis(theme, "epoch"), lossAxis(theme, label, log())],
          series: [
            { label: "epoch" },
            ...list.map((run) => {
              const colour = theme.series[run.colour % theme.series.length];
              return {
                label: run.label, stroke: colour, width: run.width || 2, spanGaps: !dots,
                ...(run.dash ? { dash: [6, 4] } : {}),
                points: dots
                  ? { size: 8, fill: colour,
                      show: (u, si) => u.data[si].filter((v) => v != null).length < 5 }
                  : { show: false },
                value: exactValue(() => exact),
              };
            }),
          ],
          legend: { live: true },
          cursor: { drag: { x: true, y: false } },
          plugins: [markerPlugin(() => markers, theme)],
          hooks: { setScale: [(u, key) => {
            if (key === "y") container.dataset.yMax = String(u.scales.y.max);
          }] },
        }, data, container);
      }
    } else {
      plot.setData(data);
    }
    describe(container, markers);
    container.dataset.series = String(list.length);
    container.dataset.points = String(list.reduce((sum, run) => sum + run.points.length, 0));
  }

  const redrawAll = () => draw(true);
  themed.add(redrawAll);
  const observer = followWidth(container, height, () => plot);
  return {
    draw,
    destroy() {
      themed.delete(redrawAll);
      observer.disconnect();
      if (plot) plot.destroy();
    },
  };
}

const RACE_MAX_POINTS_PER_RUN = 600;

/**
 * Make the loss race in `container`. Returns {has, add, setPoints, append, clear, size}, or
 * null without uPlot. Points arrive one per `run.progress`; drawing is coalesced to one
 * redraw per animation frame. The container's data-series (lines), data-points (points) and
 * data-latest-epoch (of the last point appended) follow what is drawn; tests read them.
 */
export function createRaceChart(container) {
  if (typeof window.uPlot !== "function") return null;
  const runs = new Map(); // run id → {label, mine, colour, width, points: [[epoch, loss], ...]}
  let rebuild = true;
  let frame = null;
  let latestEpoch = 0; // the epoch of the last point a progress message added
  const chart = createMultiRunChart(container, () => [...runs.values()], { height: 300 });

  function paint() {
    frame = null;
    chart.draw(rebuild);
    rebuild = false;
    container.dataset.latestEpoch = String(latestEpoch);
  }

  function schedule() {
    if (frame === null) frame = window.requestAnimationFrame(paint);
  }

  // Keep a long run's line light: drop every other point, never the latest.
  function thin(points) {
    if (points.length <= RACE_MAX_POINTS_PER_RUN) return points;
    return points.filter((_p, i) => i % 2 === 0 || i === points.length - 1);
  }

  return {
    has: (run) => runs.has(run),
    get size() {
      return runs.size;
    },
    /**
     * Add a run's line (no-op if present); `user` is shown as text by uPlot's legend. A ghost
     * line (`ghostOf`: the racer's key, `label` its text) is dashed, in its racer's colour.
     */
    add(run, { user, mine = false, ghostOf = null, label = null }) {
      if (runs.has(run)) return;
      const racer = ghostOf === null ? null : runs.get(ghostOf);
      const used = new Set([...runs.values()].filter((r) => !r.dash).map((r) => r.colour));
      let colour = 0;
      while (used.has(colour) && colour < 8) colour += 1;
      runs.set(run, { label: label || `${user} #${run}${mine ? " (you)" : ""}`, mine,
                      colour: racer ? racer.colour : colour % 8, width: mine ? 3 : 1.5,
                      dash: ghostOf !== null, points: [] });
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

/**
 * Draw the lab's runs (one spec at three learning rates) on one chart.
 *
 * `runs` is [{label, history: [records]}]; returns {update(index, history), setLogScale(on)},
 * or null without uPlot. A run that diverged at once is a point or two: drawn as dots.
 */
export function createLabChart(container, runs, { logScale = true } = {}) {
  if (typeof window.uPlot !== "function") return null;
  let log = logScale;
  const histories = runs.map((run) => run.history);
  const points = (history) => history.map((r) => [r.epoch, r.val_loss ?? r.train_loss]);
  const chart = createMultiRunChart(
    container,
    () => runs.map((run, i) => ({ label: run.label, colour: i, width: 2,
                                  points: points(histories[i]) })),
    { height: 300, log: () => log, dots: true },
  );
  let frame = null;
  chart.draw(true);
  return {
    update(index, history) {
      histories[index] = history;
      if (frame === null) {
        frame = window.requestAnimationFrame(() => {
          frame = null;
          chart.draw(false);
        });
      }
    },
    setLogScale(on) {
      log = on;
      chart.draw(true);
    },
  };
}

/**
 * Overlay any runs' validation losses (the compare page). `runs` is [{label, history}];
 * returns {setLogScale(on)}, or null without uPlot.
 */
export function createOverlayChart(container, runs, { logScale = true } = {}) {
  return createLabChart(container, runs, { logScale });
}

