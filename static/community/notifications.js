// The header bell: unread count and a dropdown, kept live over /ws/notifications/.
//
// The socket is the page's shared one (static/common/live.js): the blueprint map listens to
// the same stream, and the page opens it once. The shared client reconnects with backoff and
// jitter; close code 4401 ("not logged in") is final.

import { connectLive } from "../common/live.js";

const LIST_SIZE = 8;

function setup(bell) {
  const count = bell.querySelector("[data-bell-count]");
  const list = bell.querySelector("[data-bell-list]");
  const menu = bell.querySelector("[data-bell-menu]");
  const toggle = bell.querySelector("[data-bell-toggle]");
  const label = toggle.querySelector("[data-bell-label]");

  function showUnread(unread) {
    count.textContent = String(unread);
    count.hidden = unread === 0;
    if (label) label.textContent = unread ? `Notifications, ${unread} unread` : "Notifications";
  }

  function addItem(notification) {
    const empty = list.querySelector("[data-bell-empty]");
    if (empty) empty.remove();
    const item = document.createElement("li");
    item.className = notification.read ? "" : "unread";
    item.dataset.id = String(notification.id);
    const link = document.createElement("a");
    link.href = notification.url || "/notifications/";
    link.textContent = notification.text; // text, never HTML
    item.append(link);
    list.prepend(item);
    while (list.children.length > LIST_SIZE) list.lastElementChild.remove();
  }

  async function markRead(ids) {
    const response = await fetch(bell.dataset.readUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": bell.dataset.csrf },
      body: JSON.stringify(ids ? { ids } : {}),
    });
    if (response.ok) {
      showUnread((await response.json()).unread);
      list.querySelectorAll("li.unread").forEach((li) => {
        if (!ids || ids.includes(Number(li.dataset.id))) li.classList.remove("unread");
      });
    }
  }

  function setOpen(open) {
    menu.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
  }

  toggle.addEventListener("click", () => setOpen(menu.hidden));
  document.addEventListener("click", (event) => {
    if (!menu.hidden && !bell.contains(event.target)) setOpen(false);
  });
  bell.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !menu.hidden) {
      setOpen(false);
      toggle.focus();
    }
  });
  bell.querySelector("[data-bell-read-all]").addEventListener("click", () => markRead(null));
  list.addEventListener("click", (event) => {
    const item = event.target.closest("li.unread");
    if (item) markRead([Number(item.dataset.id)]);
  });

  connectLive(bell.dataset.socket, {
    onSnapshot(message) {
      showUnread(message.unread);
    },
    onMessage(message) {
      if (message.type === "notification") {
        addItem(message.notification);
        showUnread(message.unread);
      } else if (message.type === "notifications.read") {
        showUnread(message.unread);
      }
    },
  });
}

document.querySelectorAll("[data-bell]").forEach(setup);
