// The home page, live: every few seconds (data-poll-seconds) it asks /home/figures/ for the
// figures (builders online, runs training and queued, open challenges), the latest leaderboard
// moves and the newest debriefs, and redraws them in place. Polling rather than a socket: the
// figures are site-wide counts that change slowly, and a poll costs a few small queries. It
// pauses while the tab is hidden. The list rows are clones of the server's own <template>s.

import { enhanceTimes, formatCount, formatScore } from "../common/format.js";

const root = document.getElementById("home-live");
const every = Number(root.dataset.pollSeconds || 5) * 1000;
const liveState = root.querySelector("[data-live-state]");
let timer = null;
let inFlight = false;

function fill(templateId, fields) {
  const item = document.getElementById(templateId).content.firstElementChild.cloneNode(true);
  for (const [name, { text, href, datetime }] of Object.entries(fields)) {
    const element = item.querySelector(`[data-field="${name}"]`);
    if (!element) continue;
    if (text !== undefined) element.textContent = text;
    if (href !== undefined) element.href = href;
    if (datetime !== undefined) element.dateTime = datetime;
  }
  return item;
}

function showList(selector, emptySelector, items) {
  document.querySelector(selector).replaceChildren(...items);
  document.querySelector(emptySelector).hidden = items.length > 0;
}

function show(figures) {
  for (const element of root.querySelectorAll("[data-figure]")) {
    const text = formatCount(figures[element.dataset.figure]);
    if (element.textContent !== text) {
      element.textContent = text;
      element.classList.remove("changed");
      void element.offsetWidth; // restart the flash
      element.classList.add("changed");
    }
  }
  showList("[data-moves]", "[data-moves-empty]", figures.moves.map((move) => fill("home-move", {
    rank: { text: `#${move.rank}` },
    user: { text: move.user },
    challenge: { text: move.challenge_title, href: move.challenge_url },
    score: { text: `${move.metric} ${formatScore(move.score)}`, href: move.url },
    at: { datetime: move.at },
  })));
  showList("[data-debriefs]", "[data-debriefs-empty]", figures.debriefs.map((thread) =>
    fill("home-debrief", {
      title: { text: thread.title, href: thread.url },
      author: { text: thread.author },
      replies: { text: `${thread.replies} ${thread.replies === 1 ? "reply" : "replies"}` },
      at: { datetime: thread.at },
    })));
  enhanceTimes(document);
}

async function poll() {
  timer = null;
  inFlight = true;
  try {
    const response = await fetch(root.dataset.url, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    show(await response.json());
    liveState.dataset.state = "open";
    liveState.textContent = `· every ${every / 1000} s`;
    root.dataset.polls = String(Number(root.dataset.polls || 0) + 1);
  } catch (error) {
    liveState.dataset.state = "waiting";
    liveState.textContent = "· offline, retrying";
    console.warn("descent: home figures failed", error);
  }
  inFlight = false;
  if (!document.hidden) timer = window.setTimeout(poll, every);
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden && timer !== null) {
    window.clearTimeout(timer);
    timer = null;
  } else if (!document.hidden && timer === null && !inFlight) {
    poll();
  }
});
timer = window.setTimeout(poll, every);
liveState.dataset.state = "open";
liveState.textContent = `· every ${every / 1000} s`;
