// The gradient strip: one layer statistic per layer over the epochs, on a log axis
// (static/common/charts.js has the shared pieces).

import {
  chartTheme,
  widthOf,
  yScale,
  axis,
  drawable,
  themed,
  followWidth,
  logAxis,
} from "./charts.js";

/** Turn layer samples ({epoch, layers: [{layer, ...}]}) into uPlot columns of `key`. */
export function layerColumns(samples, key) {
  const depth = Math.max(0, ...samples.map((s) => s.layers.length));
  const xs = samples.map((s) => s.epoch);
  const columns = Array.from({ length: depth }, (_v, k) =>
    samples.map((s) => drawable(s.layers[k]?.[key])));
  return [xs, ...columns];
}

/**
 * Draw one layer statistic (`key`: grad_rms or update_ratio) per layer over the epochs, on a
 * log axis. Returns {update(samples)}, or null without uPlot. The container's data-series
 * and data-points say what is drawn.
 */
export function createLayerChart(container, samples, { key = "grad_rms", label = key,
                                                        height = 200 } = {}) {
  const uPlot = window.uPlot;
  if (typeof uPlot !== "function") return null;
  let plot = null;
  let current = samples;
  let depth = -1;

  function draw() {
    const data = layerColumns(current, key);
    const layers = data.length - 1;
    if (plot === null || layers !== depth) {
      if (plot) plot.destroy();
      depth = layers;
      const theme = chartTheme();
      plot = new uPlot({
        width: widthOf(container),
        height,
        scales: { x: { time: false }, y: yScale(true) },
        axes: [axis(theme, "epoch"), axis(theme, label, logAxis)],
        series: [
          { label: "epoch" },
          ...Array.from({ length: layers }, (_v, k) => ({
            label: `layer ${k + 1}`, stroke: theme.series[k % theme.series.length], width: 2,
            spanGaps: true, points: { show: false },
            value: (_u, v) => (v == null ? "–" : Number(v).toPrecision(3)),
          })),
        ],
        legend: { live: true },
      }, data, container);
    } else {
      plot.setData(data);
    }
    container.dataset.series = String(layers);
    container.dataset.points = String(data[0].length);
  }

  draw();
  themed.add(() => {
    if (plot) plot.destroy();
    plot = null;
    draw();
  });
  followWidth(container, height, () => plot);
  return {
    update(samples) {
      current = samples;
      draw();
    },
  };
}

