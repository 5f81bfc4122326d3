// The instruments' pictures, drawn on <canvas> and themed from the CSS variables:
//
//   drawBoundary(canvas, frame, points)   a decision-boundary frame under the training points
//   drawTerrain(canvas, terrain, options) a loss-surface slice as filled contour bands, with
//                                         each run's projected path descending (or not)
//   decodeFrame(frame)                    a frame's base64 uint8 channels as Uint8Arrays
//   canvasVariance(canvas)                how much a drawn canvas varies (tests read it)
//
// The heat map is a few lines of our own: one ImageData pixel per grid cell, scaled up. The
// contour bands come from d3-contour (npm, served as /static/vendor/d3-contour/, loaded as
// window.d3 with d3-array): marching squares with linear interpolation and correct saddle
// handling is exactly what it does, in 4 kB, and it returns plain GeoJSON polygons that a
// canvas path draws without the rest of d3.

import { chartTheme } from "./charts.js";

const POINT_RADIUS = 2.6;

/** Return a frame's channels as Uint8Arrays of size² cells (row 0 is the bottom). */
export function decodeFrame(frame) {
  const channel = (text) => Uint8Array.from(atob(text || ""), (c) => c.charCodeAt(0));
  if (frame.kind === "values") return { values: channel(frame.values) };
  return { classes: channel(frame.classes), confidence: channel(frame.confidence) };
}

function rgb(colour) {
  // Any CSS colour to [r, g, b], through a 1×1 canvas (the variables may be hex or rgb()).
  const probe = document.createElement("canvas").getContext("2d");
  probe.fillStyle = "#000";
  probe.fillStyle = colour;
  const text = probe.fillStyle;
  if (text.startsWith("#")) {
    const hex = text.slice(1);
    return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }
  return (text.match(/[\d.]+/g) || ["0", "0", "0"]).slice(0, 3).map(Number);
}

function mix(a, b, t) {
  return a.map((value, i) => Math.round(value + (b[i] - value) * t));
}

function fit(canvas) {
  // Draw at the element's size × devicePixelRatio, so the picture stays sharp.
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(120, Math.round(canvas.clientWidth || canvas.width));
  const height = Math.max(120, Math.round(canvas.clientHeight || width));
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { context, width, height };
}

/**
 * Draw `frame` (a boundary frame, docs/engine.md) on `canvas`, and `points` ({x, y, labels,
 * task}) over it. Classification: each cell takes its class's series colour, stronger with
 * the model's confidence; regression: a ramp from the first series colour to the second.
 */
export function drawBoundary(canvas, frame, points) {
  const theme = chartTheme();
  const { context, width, height } = fit(canvas);
  const surface = rgb(theme.surface);
  const colours = theme.series.map(rgb);
  context.fillStyle = theme.surface;
  context.fillRect(0, 0, width, height);
  if (!frame) return;
  const n = frame.size;
  const cells = decodeFrame(frame);
  const image = new ImageData(n, n);
  const classes = Math.max(2, ...(points?.labels || [1]).map((v) => (Number.isInteger(v) ? v + 1 : 2)));
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < n; j += 1) {
      const cell = i * n + j;
      const pixel = ((n - 1 - i) * n + j) * 4; // row 0 is the bottom of the picture
      let colour;
      if (cells.values) {
        colour = mix(colours[0], colours[1], cells.values[cell] / 255);
      } else {
        const confidence = cells.confidence[cell] / 255;
        const floor = 1 / classes;
        const strength = 0.18 + 0.62 * Math.max(0, (confidence - floor) / (1 - floor));
        colour = mix(surface, colours[cells.classes[cell] % colours.length], strength);
      }
      image.data.set([...colour, 255], pixel);
    }
  }
  const tile = document.createElement("canvas");
  tile.width = n;
  tile.height = n;
  tile.getContext("2d").putImageData(image, 0, 0);
  context.imageSmoothingEnabled = true;
  context.drawImage(tile, 0, 0, width, height);
  if (!points) return;
  const [xMin, xMax, yMin, yMax] = frame.bounds;
  const low = Math.min(...points.labels);
  const high = Math.max(...points.labels);
  context.lineWidth = 1;
  context.strokeStyle = theme.surface;
  points.x.forEach((x, k) => {
    const label = points.labels[k];
    const px = ((x - xMin) / (xMax - xMin)) * width;
    const py = height - ((points.y[k] - yMin) / (yMax - yMin)) * height;
    const colour = points.task === "regression"
      ? mix(colours[0], colours[1], high > low ? (label - low) / (high - low) : 0.5)
      : colours[label % colours.length];
    context.fillStyle = `rgb(${colour.join(",")})`;
    context.beginPath();
    context.arc(px, py, POINT_RADIUS, 0, 2 * Math.PI);
    context.fill();
    context.stroke();
  });
}

// --- the terrain -----------------------------------------------------------------------------

const BANDS = 14;

/** Return the contour levels of a loss grid: evenly spaced in log10 (losses span decades). */
export function terrainLevels(loss, bands = BANDS) {
  const finite = loss.flat().filter((v) => typeof v === "number" && v > 0);
  if (!finite.length) return [];
  const low = Math.log10(Math.min(...finite));
  const high = Math.log10(Math.max(...finite));
  const step = (high - low) / bands || 1;
  return Array.from({ length: bands }, (_v, k) => low + step * k);
}

/**
 * Draw a terrain (`surface` of RunTerrain: alphas, betas, loss n×n, paths, diverged) as
 * filled bands of log10(loss), the lowest in the strongest series colour, with every path on it: run r in series
 * colour r, its start a ring, its end a dot; a diverged run's path dashed in the danger
 * colour, an arrow where it leaves the slice. `labels` names the paths in the legend.
 * Returns false without d3-contour.
 */
export function drawTerrain(canvas, surface, { labels = [] } = {}) {
  const d3 = window.d3;
  const theme = chartTheme();
  const { context, width, height } = fit(canvas);
  context.fillStyle = theme.surface;
  context.fillRect(0, 0, width, height);
  if (!surface || !d3 || typeof d3.contours !== "function") return false;
  const n = surface.alphas.length;
  const m = surface.betas.length;
  const worst = Math.log10(Math.max(...surface.loss.flat().filter((v) => v > 0))) + 1;
  // d3-contour reads values row-major with y down; our row 0 (betas[0]) is drawn at the bottom.
  const values = [];
  for (let i = m - 1; i >= 0; i -= 1) {
    for (let j = 0; j < n; j += 1) {
      const v = surface.loss[i][j];
      values.push(typeof v === "number" && v > 0 ? Math.log10(v) : worst);
    }
  }
  const levels = terrainLevels(surface.loss);
  const valley = rgb(theme.series[0]);
  const ridge = rgb(theme.surface);
  const sx = width / n;
  const sy = height / m;
  const bands = d3.contours().size([n, m]).thresholds(levels)(values);
  bands.forEach((band, k) => {
    const t = levels.length > 1 ? k / (levels.length - 1) : 0;
    context.fillStyle = `rgb(${mix(valley, ridge, 0.15 + 0.8 * t).join(",")})`;
    context.strokeStyle = theme.grid;
    context.beginPath();
    for (const polygon of band.coordinates) {
      for (const ring of polygon) {
        ring.forEach(([x, y], index) => {
          if (index === 0) context.moveTo(x * sx, y * sy);
          else context.lineTo(x * sx, y * sy);
        });
        context.closePath();
      }
    }
    context.fill("evenodd");
    context.stroke();
  });
  // The grid's coordinates → pixels: alphas[j] is cell j's centre.
  const [a0, a1] = [surface.alphas[0], surface.alphas[n - 1]];
  const [b0, b1] = [surface.betas[0], surface.betas[m - 1]];
  const toX = (a) => (((a - a0) / (a1 - a0 || 1)) * (n - 1) + 0.5) * sx;
  const toY = (b) => height - (((b - b0) / (b1 - b0 || 1)) * (m - 1) + 0.5) * sy;
  (surface.paths || []).forEach((path, r) => {
    const diverged = (surface.diverged || [])[r];
    const colour = diverged ? theme.danger : theme.series[(r + 1) % theme.series.length];
    const points = path.points.filter((p) => p && p[0] != null && p[1] != null);
    if (!points.length) return;
    context.save();
    context.strokeStyle = colour;
    context.fillStyle = colour;
    context.lineWidth = 2.2;
    context.setLineDash(diverged ? [6, 4] : []);
    context.beginPath();
    points.forEach(([a, b], index) => {
      if (index === 0) context.moveTo(toX(a), toY(b));
      else context.lineTo(toX(a), toY(b));
    });
    context.stroke();
    context.setLineDash([]);
    const [sa, sb] = points[0];
    context.beginPath();
    context.arc(toX(sa), toY(sb), 5, 0, 2 * Math.PI);
    context.stroke();
    const [ea, eb] = points.at(-1);
    const ex = Math.min(width - 6, Math.max(6, toX(ea)));
    const ey = Math.min(height - 6, Math.max(6, toY(eb)));
    context.beginPath();
    context.arc(ex, ey, 4.5, 0, 2 * Math.PI);
    context.fill();
    if (ex !== toX(ea) || ey !== toY(eb)) {
      context.font = theme.labelFont;
      context.fillText("→ leaves the slice", Math.min(ex, width - 130), Math.max(14, ey - 8));
    }
    if (labels[r]) {
      context.font = theme.font;
      context.fillText(labels[r], 8, 16 + 16 * r);
    }
    context.restore();
  });
  return true;
}

/** Return the variance of a canvas's pixel values (0 for a blank or uniform canvas). */
export function canvasVariance(canvas) {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let sum = 0;
  let squares = 0;
  for (let k = 0; k < data.length; k += 4) {
    const value = data[k] + data[k + 1] + data[k + 2];
    sum += value;
    squares += value * value;
  }
  const count = data.length / 4;
  return squares / count - (sum / count) ** 2;
}
