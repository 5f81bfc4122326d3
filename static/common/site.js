// What every page does: the header's menu at phone width, ONLINE badges ([data-presence]),
// the board index's "N new threads" ([data-new-threads]), relative times (time[data-relative]) and run-card sparklines. Loaded by base.html.

import { keepTimesFresh } from "./format.js";
import { connectLive } from "./live.js";

// --- the header menu: a disclosure button below 860 px (CSS shows it) ------------------------
const header = document.querySelector(".site-header");
const toggle = header && header.querySelector("[data-menu-toggle]");
if (toggle) {
  const setOpen = (open) => {
    toggle.setAttribute("aria-expanded", String(open));
    if (open) header.dataset.menuOpen = "";
    else delete header.dataset.menuOpen;
  };
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && header.hasAttribute("data-menu-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
  header.dataset.menuReady = ""; // the button works from here on (tests wait for it)
}

// --- "3 new threads" on the board index: board.thread events on the board's presence socket --
const newThreads = document.querySelector("[data-new-threads]");
let unseenThreads = 0;
function noteNewThread(thread) {
  if (!newThreads || !thread) return;
  const only = newThreads.dataset.category;
  if (only && thread.category !== only) return;
  unseenThreads += 1;
  const link = newThreads.querySelector("a");
  link.textContent = unseenThreads === 1
    ? `1 new thread: “${thread.title}” — show it`
    : `${unseenThreads} new threads — show them`;
  link.hidden = false;
  newThreads.dataset.count = String(unseenThreads);
}

// --- ONLINE badges of pages that are not a challenge (the board) -----------------------------
for (const badge of document.querySelectorAll("[data-presence]")) {
  connectLive(badge.dataset.presence, {
    onMessage(message) {
      if (message.type === "board.thread") noteNewThread(message.thread);
      if (message.type !== "presence.update") return;
      badge.textContent = `ONLINE ${message.online}`;
      badge.dataset.online = String(message.online);
      badge.hidden = false;
    },
    onState(state) {
      badge.classList.toggle("stale", state !== "open");
    },
  });
}

// --- forms that ask first (form[data-confirm]): a listener, not an inline onsubmit (CSP) -----
document.addEventListener("submit", (event) => {
  const form = event.target.closest && event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});

// --- times and sparklines --------------------------------------------------------------------
keepTimesFresh();
if (document.querySelector(".sparkline[data-points]")) {
  import("./charts.js").then((charts) => charts.drawSparklines());
}
