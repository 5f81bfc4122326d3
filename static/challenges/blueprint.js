// The blueprint map, live: when a "node.*" notification arrives over /ws/notifications/
// (a run met a threshold, a quiz cleared a node), re-fetch /api/blueprint/ and redraw each
// node's state, score and what it still needs. Text only, never HTML, from the API.

import { formatScore } from "../common/format.js";
import { connectLive } from "../common/live.js";

// Each state's icon is a <symbol id="bp-STATE"> in the map's <defs> (lucide, via {% icon_symbol %}).
const STATES = ["cleared", "open", "locked"];

function setState(element, state) {
  STATES.forEach((s) => element.classList.remove(`state-${s}`));
  element.classList.add(`state-${state}`);
}

function apply(root, nodes) {
  let cleared = 0;
  for (const node of nodes) {
    if (node.state === "cleared") cleared += 1;
    const sign = node.metric_direction === "max" ? "≥" : "≤";
    const threshold = node.threshold == null ? "?" : node.threshold;
    const box = root.querySelector(`[data-node="${CSS.escape(node.slug)}"]`);
    if (box) {
      const was = [...box.classList].find((c) => c.startsWith("state-"));
      setState(box, node.state);
      if (was && was !== `state-${node.state}`) box.classList.add("just-changed");
      box.querySelector('[data-field="state"]').textContent = node.state;
      box.querySelector('[data-field="icon"]').setAttribute("href", `#bp-${node.state}`);
      box.querySelector('[data-field="score"]').textContent =
        `${node.metric} ${formatScore(node.best_score, 3)} / ${sign} ${threshold}` +
        (node.quiz_passed ? " · quiz passed" : "");
      const title = box.querySelector("title");
      if (title) title.textContent = `${node.title}: ${node.state} · ${node.needs.join(" · ")}`;
    }
    const card = root.querySelector(`[data-node-card="${CSS.escape(node.slug)}"]`);
    if (card) {
      setState(card, node.state);
      card.querySelector('[data-field="state"]').textContent = node.state;
      card.querySelector('[data-field="best"]').textContent = formatScore(node.best_score, 4);
      card.querySelector('[data-field="quiz"]').textContent =
        node.quiz_passed ? "passed" : "not passed";
      const needs = card.querySelector('[data-field="needs"]');
      needs.replaceChildren(...node.needs.map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      }));
    }
  }
  // A trace out of a cleared node carries current.
  const states = new Map(nodes.map((node) => [node.slug, node.state]));
  for (const edge of root.querySelectorAll("[data-edge-from]")) {
    edge.toggleAttribute("data-live", states.get(edge.dataset.edgeFrom) === "cleared");
  }
  const count = document.querySelector("[data-cleared-count]");
  if (count) count.textContent = String(cleared);
}

async function refresh(root) {
  const response = await fetch(root.dataset.apiUrl, { credentials: "same-origin" });
  if (response.ok) apply(root, (await response.json()).nodes);
}

const root = document.getElementById("blueprint");
if (root && root.dataset.socket) {
  const liveState = document.querySelector("[data-live-state]");
  connectLive(root.dataset.socket, {
    onSnapshot() { refresh(root); }, // on (re)connect: catch up on anything missed
    onMessage(message) {
      if (message.type === "notification" && message.notification.kind.startsWith("node.")) {
        refresh(root);
      }
    },
    onState(state) {
      if (liveState) liveState.textContent = state === "open" ? "· live" : "";
    },
  });
}
