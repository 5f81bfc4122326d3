// The header bell: unread count and a dropdown, kept live over /ws/notifications/.
// Reconnects with exponential backoff (1 s doubling to 30 s, with jitter) after a drop;
// close code 4401 means "not logged in", so it stops trying.

const CLOSE_UNAUTHENTICATED = 4401;
const MAX_BACKOFF_MS = 30000;

function setup(bell) {
  const count = bell.querySelector("[data-bell-count]");
  const list = bell.querySelector("[data-bell-list]");
  const menu = bell.querySelector("[data-bell-menu]");
  const toggle = bell.querySelector("[data-bell-toggle]");
  let backoff = 1000;

  function showUnread(unread) {
    count.textContent = String(unread);
    count.hidden = unread === 0;
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
    while (list.children.length > 8) list.lastElementChild.remove();
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

  toggle.addEventListener("click", () => {
    menu.hidden = !menu.hidden;
    toggle.setAttribute("aria-expanded", String(!menu.hidden));
  });
  bell.querySelector("[data-bell-read-all]").addEventListener("click", () => markRead(null));
  list.addEventListener("click", (event) => {
    const item = event.target.closest("li.unread");
    if (item) markRead([Number(item.dataset.id)]);
  });

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${bell.dataset.socket}`);
    socket.addEventListener("open", () => { backoff = 1000; });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "notifications.snapshot") {
        showUnread(message.unread);
      } else if (message.type === "notification") {
        addItem(message.notification);
        showUnread(message.unread);
      } else if (message.type === "notifications.read") {
        showUnread(message.unread);
      }
    });
    socket.addEventListener("close", (event) => {
      if (event.code === CLOSE_UNAUTHENTICATED) return;
      const delay = backoff / 2 + Math.random() * backoff / 2;
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      setTimeout(connect, delay);
    });
  }
  connect();
}

document.querySelectorAll("[data-bell]").forEach(setup);
