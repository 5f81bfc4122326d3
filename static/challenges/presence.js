// The ONLINE badge of a page that is not a challenge (the board): how many builders are here,
// over /ws/presence/<room>/ (presence.update messages only). The badge names its socket path
// in data-presence.

import { connectLive } from "./live.js";

for (const badge of document.querySelectorAll("[data-presence]")) {
  connectLive(badge.dataset.presence, {
    onMessage(message) {
      if (message.type !== "presence.update") return;
      badge.textContent = `ONLINE ${message.online}`;
      badge.dataset.online = String(message.online);
      badge.hidden = false;
    },
    onState(state) {
      if (state !== "open") badge.classList.add("stale");
      else badge.classList.remove("stale");
    },
  });
}
