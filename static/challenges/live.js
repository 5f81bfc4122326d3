// A live WebSocket client for Descent's streams (CONTRACT §4): reconnects, pings, keeps order.
//
//   const live = connectLive("/ws/challenges/spirals/", {
//     onSnapshot(message) {...},   // *.snapshot: the whole state; replaces what you had
//     onUpdate(message) {...},     // leaderboard.update, only the next seq, never stale
//     onMessage(message) {...},    // every other message (run.progress, presence.update, ...)
//     onState(state, detail) {...} // "connecting" | "open" | "waiting" | "gone"
//   });
//   live.resync(); live.close();
//
// Order: `leaderboard.update` carries `seq`, one more per message. An update is applied only
// when its seq is the current one + 1; an older or repeated one is dropped; after a gap the
// client asks for a fresh snapshot ({"type": "resync"}), and reconnects if none comes.
// Reconnects back off exponentially with jitter, 0.5 s doubling to 30 s, reset by a message.
// Close code 4404 (nothing to watch there) is final: no reconnect.

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const PING_EVERY_MS = 25_000;
const RESYNC_TIMEOUT_MS = 10_000;
const GONE = 4404;

/** Return the ws:// or wss:// URL of `path` on this page's host. */
export function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

/** Return how long to wait before reconnect number `attempt` (0-based): jittered, capped. */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt);
  // "Equal jitter": at least half the ceiling, so clients that lost one server together
  // spread out instead of stampeding back at the same instant.
  return ceiling / 2 + random() * (ceiling / 2);
}

/**
 * Decide what to do with a leaderboard.update of `seq` when the client holds `current`:
 * "apply" (the next one), "drop" (old or repeated) or "resync" (some were missed).
 */
export function seqAction(current, seq) {
  if (current === null || typeof seq !== "number") return "resync";
  if (seq <= current) return "drop";
  if (seq === current + 1) return "apply";
  return "resync";
}

/** Open a live socket on `path` and keep it open; see the top of this file for `hooks`. */
export function connectLive(path, hooks = {}) {
  const call = (name, ...args) => {
    if (typeof hooks[name] !== "function") return;
    try {
      hooks[name](...args);
    } catch (error) {
      console.error(`descent live: ${name} failed`, error);
    }
  };
  let socket = null;
  let seq = null;
  let attempt = 0;
  let failures = 0; // connections in a row that closed before any message arrived
  let closed = false;
  let reconnectTimer = null;
  let pingTimer = null;
  let resyncTimer = null;

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function resync() {
    if (resyncTimer !== null) return; // one request in flight is enough
    send({ type: "resync" });
    // No snapshot in time: the socket is stuck somewhere; start over on a new one.
    resyncTimer = window.setTimeout(() => {
      resyncTimer = null;
      if (socket) socket.close(4000, "resync timed out");
    }, RESYNC_TIMEOUT_MS);
  }

  function stopTimers() {
    window.clearInterval(pingTimer);
    window.clearTimeout(resyncTimer);
    pingTimer = null;
    resyncTimer = null;
  }

  function receive(event) {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!message || typeof message.type !== "string") return;
    attempt = 0;
    failures = 0;
    if (message.type.endsWith(".snapshot")) {
      window.clearTimeout(resyncTimer);
      resyncTimer = null;
      if (typeof message.seq === "number") seq = message.seq;
      call("onSnapshot", message);
    } else if (message.type === "leaderboard.update") {
      const action = seqAction(seq, message.seq);
      if (action === "apply") {
        seq = message.seq;
        call("onUpdate", message);
      } else if (action === "resync") {
        resync();
      }
    } else if (message.type !== "pong") {
      call("onMessage", message);
    }
  }

  function open() {
    if (closed) return;
    reconnectTimer = null;
    call("onState", "connecting", { attempt });
    let received = false;
    const current = new WebSocket(socketUrl(path));
    socket = current;
    current.addEventListener("open", () => {
      call("onState", "open", {});
      pingTimer = window.setInterval(() => send({ type: "ping" }), PING_EVERY_MS);
    });
    current.addEventListener("message", (event) => {
      if (closed || socket !== current) return;
      received = true;
      receive(event);
    });
    current.addEventListener("close", (event) => {
      if (socket !== current) return;
      socket = null;
      stopTimers();
      if (closed) return;
      if (event.code === GONE) {
        closed = true;
        call("onState", "gone", { code: event.code });
        return;
      }
      if (!received) failures += 1;
      const delay = backoffDelay(attempt);
      attempt += 1;
      call("onState", "waiting", { delay, failures, code: event.code });
      reconnectTimer = window.setTimeout(open, delay);
    });
    // An "error" is always followed by "close", which does the work.
  }

  // Back online after a network loss: try now rather than at the end of a long backoff.
  function online() {
    if (reconnectTimer !== null) {
      window.clearTimeout(reconnectTimer);
      attempt = 0;
      open();
    }
  }
  window.addEventListener("online", online);

  open();

  return {
    get seq() {
      return seq;
    },
    send,
    resync,
    close() {
      closed = true;
      window.removeEventListener("online", online);
      window.clearTimeout(reconnectTimer);
      stopTimers();
      if (socket) socket.close(1000);
      socket = null;
    },
  };
}
