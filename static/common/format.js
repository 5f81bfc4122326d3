// Numbers and times as the site shows them, written once for every page.
//
// The server renders the same rules in its templates (floatformat:4 for scores, "Y-m-d H:i"
// UTC for times); these are the browser's side, for what arrives live.

const DASH = "–";

function finite(value) {
  return typeof value === "number" && Number.isFinite(value);
}

/** Format a loss compactly: 4 significant digits, exponent form when tiny or huge. */
export function formatLoss(value) {
  if (!finite(value)) return DASH;
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e4)) return value.toExponential(2);
  return Number(value.toPrecision(4)).toString();
}

/** Format a score (accuracy, mse, ...) with a fixed number of decimals, as the server does. */
export function formatScore(value, digits = 4) {
  return finite(value) ? value.toFixed(digits) : DASH;
}

/** Format a fraction as a percentage: 0.9731 → "97.3 %". */
export function formatPercent(value, digits = 1) {
  return finite(value) ? `${(value * 100).toFixed(digits)} %` : DASH;
}

/** Format a count with thousands separators: 12345 → "12,345". */
export function formatCount(value) {
  return finite(value) ? Math.round(value).toLocaleString("en-US") : DASH;
}

function parse(iso) {
  const date = iso instanceof Date ? iso : new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Format a time in UTC as the server renders it: "2026-01-31 14:05" (+ ":07" with seconds). */
export function formatUtc(iso, { seconds = false } = {}) {
  const date = parse(iso);
  if (date === null) return "";
  return date.toISOString().slice(0, seconds ? 19 : 16).replace("T", " ");
}

/** Format a time exactly, in the reader's own time zone (for a hover title). */
export function formatLocal(iso) {
  const date = parse(iso);
  if (date === null) return "";
  return date.toLocaleString(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
    second: "2-digit", timeZoneName: "short",
  });
}

const UNITS = [
  ["year", 365 * 86400], ["month", 30 * 86400], ["week", 7 * 86400], ["day", 86400],
  ["hour", 3600], ["minute", 60],
];
const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto", style: "long" });

/** Format a time relative to `now`: "just now", "3 minutes ago", "in 2 hours", "yesterday". */
export function formatRelative(iso, now = Date.now()) {
  const date = parse(iso);
  if (date === null) return "";
  const seconds = (date.getTime() - now) / 1000;
  if (Math.abs(seconds) < 45) return "just now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === "minute") {
      return relative.format(Math.round(seconds / size), unit);
    }
  }
  return "just now";
}

/** Make a <time> showing `iso` relative to now, with the exact local time on hover. */
export function timeElement(iso) {
  const time = document.createElement("time");
  time.dateTime = iso;
  time.dataset.relative = "";
  time.textContent = formatRelative(iso);
  time.title = formatLocal(iso);
  return time;
}

/** Show every `time[data-relative]` under `root` relative to now; exact time on hover. */
export function enhanceTimes(root = document) {
  for (const time of root.querySelectorAll("time[data-relative][datetime]")) {
    const text = formatRelative(time.dateTime);
    if (!text) continue;
    time.textContent = text;
    time.title = formatLocal(time.dateTime);
  }
}

let ticking = false;
/** Keep relative times fresh: re-render them every 30 s while the page is open. */
export function keepTimesFresh(root = document) {
  enhanceTimes(root);
  if (ticking) return;
  ticking = true;
  window.setInterval(() => enhanceTimes(root), 30_000);
}
