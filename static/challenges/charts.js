// Loss charts: train and validation loss per epoch, drawn with uPlot.
//
// uPlot comes from npm (package-lock.json) and is served by Django's staticfiles as
// /static/vendor/uplot/; the page loads its IIFE build, which defines window.uPlot. Without
// it createLossChart returns null and the page shows its numbers only.

const SERIES = [
  { key: "train_loss", label: "train loss", stroke: "#3056d3" },
  { key: "val_loss", label: "validation loss", stroke: "#e69f00" },
];

// A value uPlot can draw: finite, and > 0 on a log axis (losses span orders of magnitude,
// and log(0) has no place on it). Anything else becomes null, a gap in the line.
function drawable(value, logScale) {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  if (logScale && value <= 0) return null;
  return value;
}

/** Turn per-epoch history records into uPlot's columns: [epochs, train loss, val loss]. */
export function historyColumns(history, logScale) {
  const epochs = history.map((record) => record.epoch);
  const columns = SERIES.map(({ key }) => history.map((record) => drawable(record[key], logScale)));
  return [epochs, ...columns];
}

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

function chartOptions(width, logScale) {
  return {
    width,
    height: 280,
    scales: {
      x: { time: false },
      // distr 3 is uPlot's log scale; log 10 puts ticks on powers of ten.
      y: logScale ? { distr: 3, log: 10 } : { auto: true },
    },
    axes: [
      { label: "epoch" },
      logScale
        ? { label: "loss", ...logAxis }
        : { label: "loss", size: 70, values: (_chart, ticks) => ticks.map((t) => formatLoss(t)) },
    ],
    series: [
      { label: "epoch" },
      ...SERIES.map(({ label, stroke }) => ({
        label, stroke, width: 2, spanGaps: false,
        value: (_chart, v) => (v == null ? "–" : formatLoss(v)),
      })),
    ],
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
  };
}

/** Format a loss compactly: 4 significant digits, exponent form when tiny or huge. */
export function formatLoss(value) {
  if (value == null || !Number.isFinite(value)) return "–";
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e4)) return value.toExponential(2);
  return Number(value.toPrecision(4)).toString();
}

/**
 * Draw the loss chart of `history` into `container`.
 *
 * Returns {update(history), setLogScale(on), destroy()}, or null when uPlot is not loaded.
 */
export function createLossChart(container, history, { logScale = true } = {}) {
  const uPlot = window.uPlot;
  if (typeof uPlot !== "function") return null;
  let records = history;
  let log = logScale;
  let plot = null;

  function width() {
    return Math.max(280, container.clientWidth || 600);
  }
  function build() {
    if (plot) plot.destroy();
    plot = new uPlot(chartOptions(width(), log), historyColumns(records, log), container);
  }
  build();

  const resize = new ResizeObserver(() => plot && plot.setSize({ width: width(), height: 280 }));
  resize.observe(container);

  return {
    update(next) {
      records = next;
      plot.setData(historyColumns(records, log));
    },
    setLogScale(on) {
      // A scale's distribution is fixed when a uPlot is made: rebuild with the same data.
      log = on;
      build();
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
      plot = null;
    },
  };
}
