// Parallel coordinates in SVG: one vertical axis per dimension, one polyline per item.
//
//   drawParallel(container, items, axes, {colour(item), title(item)})
//   axes: [{key, label, scale: "log" | "linear" | "category", categories?}]
//
// Written here rather than taken from npm: the parallel-coordinates packages there are
// unmaintained (parcoord-es and d3.parcoords have had no release in years and pull in all of
// d3 v5), and composing d3's scale, axis and selection modules would add seven packages for
// what is three scale types and a few SVG elements. docs/architecture.md says so too.

import { chartTheme } from "./charts.js";

const SVG = "http://www.w3.org/2000/svg";
const HEIGHT = 300;
const PAD = { top: 28, bottom: 34, side: 48 };

function node(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

/** Return a function mapping a value of `axis` to [0, 1] (0 at the bottom), and its ticks. */
export function axisScale(axis, values) {
  if (axis.scale === "category") {
    const categories = axis.categories || [...new Set(values)].sort();
    const step = categories.length > 1 ? 1 / (categories.length - 1) : 0;
    return {
      at: (v) => (categories.length > 1 ? categories.indexOf(v) * step : 0.5),
      ticks: categories.map((c, i) => [c, categories.length > 1 ? i * step : 0.5]),
    };
  }
  const log = axis.scale === "log";
  const f = (v) => (log ? Math.log10(v) : v);
  const finite = values.filter((v) => typeof v === "number" && (!log || v > 0)).map(f);
  let low = Math.min(...finite);
  let high = Math.max(...finite);
  if (!finite.length) [low, high] = [0, 1];
  if (low === high) [low, high] = [low - 0.5, high + 0.5];
  const at = (v) => (typeof v === "number" && (!log || v > 0) ? (f(v) - low) / (high - low) : null);
  const show = (t) => (log ? Number((10 ** t).toPrecision(2)) : Number(t.toPrecision(3)));
  return { at, ticks: [[show(low), 0], [show((low + high) / 2), 0.5], [show(high), 1]] };
}

export function drawParallel(container, items, axes, { colour, title } = {}) {
  const theme = chartTheme();
  const width = Math.max(520, container.clientWidth || 720);
  const svg = node("svg", { viewBox: `0 0 ${width} ${HEIGHT}`, "data-lines": String(items.length) });
  const x = (k) => PAD.side + (k * (width - 2 * PAD.side)) / Math.max(1, axes.length - 1);
  const y = (t) => HEIGHT - PAD.bottom - t * (HEIGHT - PAD.top - PAD.bottom);
  const scales = axes.map((axis) => axisScale(axis, items.map((item) => item[axis.key])));
  axes.forEach((axis, k) => {
    svg.append(node("line", { x1: x(k), x2: x(k), y1: y(0), y2: y(1), stroke: theme.axis }));
    svg.append(node("text", { x: x(k), y: HEIGHT - 10, "text-anchor": "middle" }, axis.label));
    for (const [label, t] of scales[k].ticks) {
      svg.append(node("text", { x: x(k) + 4, y: y(t) + 4 }, String(label)));
    }
  });
  items.forEach((item, index) => {
    const points = axes.map((axis, k) => {
      const t = scales[k].at(item[axis.key]);
      return t === null ? null : `${x(k)},${y(t)}`;
    }).filter(Boolean);
    const line = node("polyline", {
      points: points.join(" "), fill: "none", "stroke-width": 2, "stroke-opacity": 0.85,
      stroke: colour ? colour(item, index, theme) : theme.series[0],
    });
    if (title) line.append(node("title", {}, title(item)));
    svg.append(line);
  });
  container.replaceChildren(svg);
  container.dataset.lines = String(items.length);
  return svg;
}
