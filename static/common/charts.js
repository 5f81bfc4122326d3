// The site's charts, drawn with uPlot and themed from the CSS variables. This module holds
// what every chart shares (the theme, the axes, outlier clipping, the divergence marker, the
// width follower) and the single-run charts; the others import those pieces:
//
//   createLossChart(container, history, {logScale, status})  a run: train and validation loss
//   drawSparklines(root)                                     run cards' tiny loss lines
//   multi-run-charts.js: createRaceChart, createLabChart,     several runs on one axis: the
//                        createOverlayChart                   challenge page, lab, compare page
//   layer-chart.js:      createLayerChart                     the gradient strip, per layer
//
// uPlot comes from npm (package-lock.json) and is served as /static/vendor/uplot/; pages load
// its IIFE build (window.uPlot), or `loadUPlot()` fetches it on demand. Without it the create*
// functions return null and the pages show their numbers only.
//
// Charts that teach: a diverged run draws every finite loss it has and a dashed marker
// "diverged at epoch k"; on a log axis shared by several runs, a value beyond OUTLIER_FACTOR ×
// the median of the other runs is drawn at the top edge with an arrow and its exact value,
// so one exploding run cannot flatten the others. Hovering shows exact values in the legend.
//
// Over 400 lines on purpose: the pieces above are one theme and one clipping rule, shared by
// every chart; the multi-run and layer charts are already modules of their own.

import { formatLoss } from "./format.js";

const UPLOT_JS = "/static/vendor/uplot/uPlot.iife.min.js";
const UPLOT_CSS = "/static/vendor/uplot/uPlot.min.css";
const OUTLIER_FACTOR = 1e6;
const MIN_WIDTH = 220;

// --- uPlot itself ----------------------------------------------------------------------------

let loading = null;

/** Load uPlot once (script and stylesheet); resolve with it, or null if it is not installed. */
export function loadUPlot() {
  if (typeof window.uPlot === "function") return Promise.resolve(window.uPlot);
  if (loading === null) {
    loading = new Promise((resolve) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = UPLOT_CSS;
      document.head.append(css);
      const script = document.createElement("script");
      script.src = UPLOT_JS;
      script.onload = () => resolve(typeof window.uPlot === "function" ? window.uPlot : null);
      script.onerror = () => resolve(null);
      document.head.append(script);
    });
  }
  return loading;
}

// --- the theme -------------------------------------------------------------------------------

function cssVar(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/** Read the chart colours and fonts from the CSS variables of the current colour scheme. */
export function chartTheme() {
  const series = [];
  for (let i = 1; i <= 8; i += 1) series.push(cssVar(`--series-${i}`, "#5ccfe6"));
  const mono = cssVar("--font-mono", "monospace");
  return {
    text: cssVar("--chart-text", "#c9d4e0"),
    grid: cssVar("--chart-grid", "rgba(128,128,128,.2)"),
    axis: cssVar("--chart-axis", "#4a5a6c"),
    danger: cssVar("--danger", "#ff6b6b"),
    surface: cssVar("--surface", "#111821"),
    series,
    font: `12px ${mono}`,
    labelFont: `600 12px ${mono}`,
  };
}

// Charts rebuild themselves when the reader's colour scheme flips.
export const themed = new Set();
window.matchMedia("(prefers-color-scheme: light)").addEventListener("change", () => {
  for (const rebuild of themed) rebuild();
});

export function axis(theme, label, extra = {}) {
  return {
    label,
    stroke: theme.text,
    font: theme.font,
    labelFont: theme.labelFont,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.axis, width: 1 },
    ...extra,
    ...(extra.grid ? { grid: { stroke: theme.grid, width: 1, ...extra.grid } } : {}),
    ...(extra.ticks ? { ticks: { stroke: theme.axis, width: 1, ...extra.ticks } } : {}),
  };
}

// --- log axes --------------------------------------------------------------------------------

// A log axis over many decades: ticks, grid lines and labels on powers of ten only (uPlot
// would otherwise draw the 2..9 of every decade, a wall of lines), labelled 0.01 or 1e-5.
// A diverged run spans dozens of decades (1e-2 to 1e31): then only every k-th decade is
// kept, so that at most MAX_DECADES are labelled.
const MAX_DECADES = 8;

function decades(_chart, ticks) {
  const isDecade = (t) => t > 0 && Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9;
  const count = ticks.filter(isDecade).length;
  const step = Math.max(1, Math.ceil(count / MAX_DECADES));
  return ticks.map((t) => (isDecade(t) && Math.round(Math.log10(t)) % step === 0 ? t : null));
}

function decadeLabel(tick) {
  if (tick == null) return "";
  const exponent = Math.round(Math.log10(tick));
  return exponent >= -2 && exponent <= 3 ? String(Number(tick.toPrecision(1))) : `1e${exponent}`;
}

/** uPlot axis options for a log-scaled loss axis. */
export const logAxis = {
  size: 60,
  filter: decades,
  grid: { filter: decades },
  ticks: { filter: decades },
  values: (_chart, ticks) => ticks.map(decadeLabel),
};

export function lossAxis(theme, label, log) {
  return log
    ? axis(theme, label, logAxis)
    : axis(theme, label, { size: 70, values: (_c, ticks) => ticks.map((t) => formatLoss(t)) });
}

export function yScale(log) {
  // distr 3 is uPlot's log scale; log 10 puts ticks on powers of ten.
  return log ? { distr: 3, log: 10 } : { auto: true };
}

// --- data ------------------------------------------------------------------------------------

// A value uPlot can draw: finite, and > 0 on a log axis (losses span orders of magnitude,
// and log(0) has no place on it). Anything else becomes null, a gap in the line.
export function drawable(value, logScale = true) {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  if (logScale && value <= 0) return null;
  return value;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Clip absurd outliers of several series on one log axis.
 *
 * A value above OUTLIER_FACTOR × the median of the *other* series' values is drawn at a
 * ceiling: the power of ten above the largest value that was kept, which the log axis then
 * ends on, so a clipped point sits on the top edge. Returns {columns, clipped}:
 * the columns to draw, and [{series, index, x, value}] for each clipped point (series is the
 * uPlot series index, 1-based; value is the exact one).
 */
export function clipOutliers(columns, factor = OUTLIER_FACTOR) {
  const [xs, ...series] = columns;
  const values = series.map((column) => column.filter((v) => v != null && v > 0));
  const limits = series.map((_column, i) => {
    const others = values.flatMap((list, j) => (j === i ? [] : list));
    return others.length ? median(others) * factor : Infinity;
  });
  let kept = 0;
  series.forEach((column, i) => column.forEach((v) => {
    if (v != null && v <= limits[i]) kept = Math.max(kept, v);
  }));
  const ceiling = kept > 0 ? 10 ** Math.ceil(Math.log10(kept) + 1e-9) : null;
  const clipped = [];
  const drawn = series.map((column, i) => column.map((v, index) => {
    if (v == null || v <= limits[i] || ceiling === null) return v;
    clipped.push({ series: i + 1, index, x: xs[index], value: v });
    return ceiling;
  }));
  return { columns: [xs, ...drawn], clipped };
}

function finite(value) {
  return typeof value === "number" && Number.isFinite(value);
}

/**
 * Find where a diverged run blew up: {epoch, lastFinite} or null if it did not diverge.
 *
 * The engine keeps the finite losses up to the blow-up; records after it carry null losses.
 * The blow-up epoch is the first record whose train or validation loss is not finite, or the
 * epoch after the last record when every kept one is finite.
 */
export function divergence(history, status) {
  if (status !== "diverged") return null;
  let lastFinite = null;
  for (const record of history) {
    if (!finite(record.train_loss) || !finite(record.val_loss)) {
      if (finite(record.train_loss)) lastFinite = record.train_loss;
      return { epoch: record.epoch, lastFinite };
    }
    lastFinite = Math.max(record.train_loss, record.val_loss);
  }
  const last = history.length ? history[history.length - 1].epoch : 0;
  return { epoch: last + 1, lastFinite };
}

// --- markers (drawn on uPlot's canvas after each redraw) -------------------------------------

export function markerPlugin(markers, theme) {
  function draw(u) {
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const ratio = window.devicePixelRatio || 1;
    ctx.save();
    ctx.font = `600 ${Math.round(12 * ratio)}px ${theme.font.replace(/^\d+px /, "")}`;
    ctx.textBaseline = "top";
    ctx.textAlign = "left"; // uPlot leaves the context as its last axis set it
    const { diverged, clipped } = markers();
    if (diverged) {
      const x = Math.round(u.valToPos(diverged.epoch, "x", true));
      if (x >= left - 1 && x <= left + width + 1) {
        ctx.strokeStyle = theme.danger;
        ctx.fillStyle = theme.danger;
        ctx.lineWidth = 2 * ratio;
        ctx.setLineDash([6 * ratio, 4 * ratio]);
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
        ctx.setLineDash([]);
        const label = `diverged at epoch ${diverged.epoch}`;
        const textWidth = ctx.measureText(label).width;
        const textX = x + 6 * ratio + textWidth > left + width ? x - 6 * ratio - textWidth : x + 6 * ratio;
        ctx.fillText(label, textX, top + 6 * ratio);
      }
    }
    for (const point of clipped) {
      const x = u.valToPos(point.x, "x", true);
      const colour = u.series[point.series].stroke;
      ctx.fillStyle = typeof colour === "function" ? colour(u, point.series) : colour;
      const size = 6 * ratio;
      const y = top + 2 * ratio;
      ctx.beginPath(); // an arrow head pointing off the top of the chart
      ctx.moveTo(x, y);
      ctx.lineTo(x - size, y + size * 1.6);
      ctx.lineTo(x + size, y + size * 1.6);
      ctx.closePath();
      ctx.fill();
      const label = `${formatLoss(point.value)} (off scale)`;
      const textWidth = ctx.measureText(label).width;
      const textX = x + size + 4 * ratio + textWidth > left + width ? x - size - 4 * ratio - textWidth
        : x + size + 4 * ratio;
      ctx.fillText(label, textX, y + 2 * ratio);
    }
    ctx.restore();
  }
  return { hooks: { draw: [draw] } };
}

// Facts the markers show, also written on the container for people (the note below the
// chart) and for tests (data attributes).
export function describe(container, { diverged, clipped }) {
  container.dataset.divergedAt = diverged ? String(diverged.epoch) : "";
  container.dataset.clipped = String(clipped.length);
  let note = container.nextElementSibling;
  if (!note || !note.matches("[data-chart-note]")) {
    note = document.createElement("p");
    note.className = "chart-note";
    note.dataset.chartNote = "";
    container.after(note);
  }
  const lines = [];
  if (diverged) {
    lines.push(`Diverged at epoch ${diverged.epoch}` + (diverged.lastFinite != null
      ? `: the last finite loss was ${formatLoss(diverged.lastFinite)}, then NaN or infinity.`
      : ": the loss was NaN or infinite before any finite value was recorded."));
  }
  if (clipped.length) {
    const worst = clipped.reduce((a, b) => (b.value > a.value ? b : a));
    lines.push(`${clipped.length} point${clipped.length === 1 ? "" : "s"} off the scale (up to ` +
      `${formatLoss(worst.value)}), drawn at the top edge so the other curves stay readable.`);
  }
  note.textContent = lines.join(" ");
  note.hidden = lines.length === 0;
  note.classList.toggle("is-diverged", Boolean(diverged));
}

// --- shared chart plumbing --------------------------------------------------------------------

export function widthOf(container) {
  return Math.max(MIN_WIDTH, Math.floor(container.clientWidth || 600));
}

/** Keep `get()`'s plot as wide as its container. */
export function followWidth(container, height, get) {
  const observer = new ResizeObserver(() => {
    const plot = get();
    if (plot) plot.setSize({ width: widthOf(container), height });
  });
  observer.observe(container);
  return observer;
}

export function exactValue(exact) {
  // The legend shows the exact value, also where the line is clipped or gapped.
  return (_u, v, seriesIndex, index) => {
    const value = index == null ? v : exact()[seriesIndex]?.[index];
    return value == null ? "–" : formatLoss(value);
  };
}

// --- a run's loss chart ----------------------------------------------------------------------

const LOSS_SERIES = [
  { key: "train_loss", label: "train loss", colour: 0 },
  { key: "val_loss", label: "validation loss", colour: 1 },
];

/** Turn per-epoch history records into uPlot's columns: [epochs, train loss, val loss]. */
export function historyColumns(history, logScale) {
  const epochs = history.map((record) => record.epoch);
  const columns = LOSS_SERIES.map(({ key }) => history.map((r) => drawable(r[key], logScale)));
  return [epochs, ...columns];
}

/**
 * Draw a run's loss chart into `container`: train and validation loss per epoch, the blow-up
 * of a diverged run marked.
 *
 * Returns {update(history, status), setLogScale(on), destroy()}, or null without uPlot.
 */
export function createLossChart(container, history, { logScale = true, status = "",
                                                   ghost = null } = {}) {
  const uPlot = window.uPlot;
  if (typeof uPlot !== "function") return null;
  const HEIGHT = 280;
  let records = history;
  let runStatus = status;
  let log = logScale;
  let plot = null;
  let markers = { diverged: null, clipped: [] };
  // A ghost race: {label, records: [{epoch, val_loss}]}, drawn dashed at the run's epochs.
  let ghostLine = ghost;
  const ghostValues = () => {
    const byEpoch = new Map((ghostLine?.records || []).map((r) => [r.epoch, r.val_loss]));
    return records.map((r) => (byEpoch.has(r.epoch) ? byEpoch.get(r.epoch) : null));
  };

  function columns() {
    markers = { diverged: divergence(records, runStatus), clipped: [] };
    const data = historyColumns(records, log);
    if (ghostLine) data.push(ghostValues().map((v) => drawable(v, log)));
    const { diverged } = markers;
    if (diverged && (data[0].length === 0 || data[0][data[0].length - 1] < diverged.epoch)) {
      // Widen the epoch axis to the blow-up, so the marker has a place.
      data[0].push(diverged.epoch);
      for (let i = 1; i < data.length; i += 1) data[i].push(null);
    }
    return data;
  }

  function build() {
    if (plot) plot.destroy();
    const theme = chartTheme();
    const exact = () => [null, ...LOSS_SERIES.map(({ key }) => records.map((r) => r[key])),
                         ...(ghostLine ? [ghostValues()] : [])];
    const data = columns();
    const ghostSeries = ghostLine ? [{
      label: ghostLine.label, stroke: theme.series[1], width: 1.5, dash: [6, 4],
      spanGaps: true, points: { show: false }, value: exactValue(exact),
    }] : [];
    plot = new uPlot({
      width: widthOf(container),
      height: HEIGHT,
      scales: { x: { time: false }, y: yScale(log) },
      axes: [axis(theme, "epoch"), lossAxis(theme, "loss", log)],
      series: [
        { label: "epoch" },
        ...LOSS_SERIES.map(({ label, colour }) => ({
          label, stroke: theme.series[colour], width: 2, spanGaps: false,
          // A run that blew up in its first epochs is a point or two: draw them as dots.
          points: { size: 7, fill: theme.series[colour],
                    show: (u, si) => u.data[si].filter((v) => v != null).length < 5 },
          value: exactValue(exact),
        })),
        ...ghostSeries,
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      plugins: [markerPlugin(() => markers, theme)],
    }, data, container);
    describe(container, markers);
  }
  build();
  themed.add(build);
  const observer = followWidth(container, HEIGHT, () => plot);

  return {
    update(next, nextStatus = runStatus) {
      records = next;
      runStatus = nextStatus;
      plot.setData(columns());
      describe(container, markers);
    },
    /** Draw (or replace) the ghost's dashed line: {label, records}, or null for none. */
    setGhost(next) {
      const rebuild = Boolean(next) !== Boolean(ghostLine);
      ghostLine = next;
      if (rebuild) build();
      else plot.setData(columns());
    },
    setLogScale(on) {
      // A scale's distribution is fixed when a uPlot is made: rebuild with the same data.
      log = on;
      build();
    },
    destroy() {
      themed.delete(build);
      observer.disconnect();
      plot.destroy();
      plot = null;
    },
  };
}

// --- sparklines ------------------------------------------------------------------------------

/** Draw every `.sparkline[data-points]` under `root` as a tiny validation-loss line. */
export async function drawSparklines(root = document) {
  const elements = [...root.querySelectorAll(".sparkline[data-points]")];
  if (!elements.length) return;
  const uPlot = await loadUPlot();
  for (const element of elements) {
    if (element.dataset.drawn) continue;
    element.dataset.drawn = "1";
    if (uPlot === null) {
      element.textContent = "(chart library not installed)";
      continue;
    }
    const values = (element.dataset.points || "").split(",").map((text) => {
      const value = parseFloat(text);
      return Number.isFinite(value) ? value : null;
    });
    if (!values.length || values.every((v) => v === null)) {
      element.textContent = "no history yet";
      continue;
    }
    const theme = chartTheme();
    new uPlot({
      width: 180, height: 40, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: false } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: theme.series[0], width: 1.5, spanGaps: true }],
    }, [values.map((_v, i) => i + 1), values], element);
  }
}
