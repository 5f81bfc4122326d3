// The one live WebSocket client of the site (CONTRACT §4): reconnects, pings, keeps order,
// and shares one socket per stream between every widget of a page.
//
//   const live = connectLive("/ws/challenges/spirals/", {
//     onSnapshot(message) {...},   // *.snapshot: the whole state; replaces what you had
//     onUpdate(message) {...},     // leaderboard.update, only the next seq, never stale
//     onMessage(message) {...},    // every other message (run.progress, presence.update, ...)
//     onState(state, detail) {...} // "connecting" | "open" | "waiting" | "gone"
//   });
//   live.resync(); live.close();   // close() leaves; the socket closes with its last widget
//
// One socket per stream: widgets that connect to the same path (the header bell and the
// blueprint map both watch /ws/notifications/) share one stream. A widget that joins after
// the snapshot arrived gets the latest snapshot (and the latest leaderboard.update) replayed.
//
// Order: `leaderboard.update` carries `seq`, one more per message. An update is applied only
// when its seq is the current one + 1; an older or repeated one is dropped; after a gap the
// client asks for a fresh snapshot ({"type": "resync"}), and reconnects if none comes.
// Messages of types nobody knows are passed to onMessage, where widgets ignore them.
//
// Protocol 2 (a path ending in `?protocol=2`, docs/contract-additions.md#live-protocol-2) is applied
// here, so widgets see what they always saw: a partial `leaderboard.update` is applied to the
// board held (static/common/ranked.js) and handed on whole — one that does not fit resyncs;
// `runs.progress` / `runs.finished` are handed on as one `run.progress` / `run.finished` per
// run; a `leaderboard.seq` heartbeat
// ahead of the board held means an update was lost: resync. A board-only snapshot (the answer
// to a resync) updates the last snapshot that a late widget is replayed.
// Reconnects back off exponentially with jitter, 0.5 s doubling to 30 s, reset by a message.
// Close codes 4404 (nothing to watch there) and 4401 (log in first) are final: no reconnect.

import { applyDelta } from "./ranked.js";

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const PING_EVERY_MS = 25_000;
const RESYNC_TIMEOUT_MS = 10_000;
const FINAL_CODES = new Set([4401, 4404]);

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

/** One socket on one path, and the widgets that listen to it. */
class Stream {
  constructor(path, onEmpty) {
    this.path = path;
    this.onEmpty = onEmpty;
    this.listeners = new Set();
    this.socket = null;
    this.seq = null;
    this.attempt = 0;
    this.failures = 0; // connections in a row that closed before any message arrived
    this.closed = false;
    this.state = ["connecting", { attempt: 0 }];
    this.lastSnapshot = null;
    this.lastUpdate = null;
    this.board = null; // the leaderboard rows held, for partial updates
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.resyncTimer = null;
    this.online = () => {
      if (this.reconnectTimer === null) return;
      window.clearTimeout(this.reconnectTimer);
      this.attempt = 0;
      this.open();
    };
    // Back online after a network loss: try now rather than at the end of a long backoff.
    window.addEventListener("online", this.online);
    this.open();
  }

  emit(name, ...args) {
    for (const listener of [...this.listeners]) listener.call(name, ...args);
  }

  setState(state, detail) {
    this.state = [state, detail];
    this.emit("onState", state, detail);
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  resync() {
    if (this.resyncTimer !== null) return; // one request in flight is enough
    this.send({ type: "resync" });
    // No snapshot in time: the socket is stuck somewhere; start over on a new one.
    this.resyncTimer = window.setTimeout(() => {
      this.resyncTimer = null;
      if (this.socket) this.socket.close(4000, "resync timed out");
    }, RESYNC_TIMEOUT_MS);
  }

  stopTimers() {
    window.clearInterval(this.pingTimer);
    window.clearTimeout(this.resyncTimer);
    this.pingTimer = null;
    this.resyncTimer = null;
  }

  receive(event) {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (!message || typeof message.type !== "string") return;
    this.attempt = 0;
    this.failures = 0;
    if (message.type.endsWith(".snapshot")) {
      window.clearTimeout(this.resyncTimer);
      this.resyncTimer = null;
      if (typeof message.seq === "number") this.seq = message.seq;
      if (Array.isArray(message.entries)) this.board = message.entries;
      this.lastSnapshot =
        message.board_only && this.lastSnapshot ? { ...this.lastSnapshot, ...message } : message;
      this.lastUpdate = null;
      this.emit("onSnapshot", message);
    } else if (message.type === "leaderboard.update") {
      const action = seqAction(this.seq, message.seq);
      if (action === "apply") {
        let update = message;
        if (message.partial) {
          const entries = this.board === null ? null : applyDelta(this.board, message);
          if (entries === null) {
            this.resync();
            return;
          }
          update = { ...message, entries, partial: false };
        }
        this.seq = update.seq;
        this.board = update.entries;
        this.lastUpdate = update;
        this.emit("onUpdate", update);
      } else if (action === "resync") {
        this.resync();
      }
    } else if (message.type === "leaderboard.seq") {
      if (this.seq !== null && typeof message.seq === "number" && message.seq > this.seq) {
        this.resync();
      }
    } else if (message.type === "runs.progress" || message.type === "runs.finished") {
      const type = message.type === "runs.progress" ? "run.progress" : "run.finished";
      for (const run of message.runs || []) this.emit("onMessage", { type, ...run });
    } else if (message.type !== "pong") {
      this.emit("onMessage", message);
    }
  }

  open() {
    if (this.closed) return;
    this.reconnectTimer = null;
    this.setState("connecting", { attempt: this.attempt });
    let received = false;
    const current = new WebSocket(socketUrl(this.path));
    this.socket = current;
    current.addEventListener("open", () => {
      this.setState("open", {});
      this.pingTimer = window.setInterval(() => this.send({ type: "ping" }), PING_EVERY_MS);
    });
    current.addEventListener("message", (event) => {
      if (this.closed || this.socket !== current) return;
      received = true;
      this.receive(event);
    });
    current.addEventListener("close", (event) => {
      if (this.socket !== current) return;
      this.socket = null;
      this.stopTimers();
      if (this.closed) return;
      if (FINAL_CODES.has(event.code)) {
        this.closed = true;
        this.setState("gone", { code: event.code });
        return;
      }
      if (!received) this.failures += 1;
      const delay = backoffDelay(this.attempt);
      this.attempt += 1;
      this.setState("waiting", { delay, failures: this.failures, code: event.code });
      this.reconnectTimer = window.setTimeout(() => this.open(), delay);
    });
    // An "error" is always followed by "close", which does the work.
  }

  join(listener) {
    this.listeners.add(listener);
    // A late widget catches up on what the others already have.
    window.queueMicrotask(() => {
      if (!this.listeners.has(listener)) return;
      listener.call("onState", ...this.state);
      if (this.lastSnapshot !== null) listener.call("onSnapshot", this.lastSnapshot);
      if (this.lastUpdate !== null) listener.call("onUpdate", this.lastUpdate);
    });
  }

  leave(listener) {
    this.listeners.delete(listener);
    if (this.listeners.size > 0) return;
    this.closed = true;
    window.removeEventListener("online", this.online);
    window.clearTimeout(this.reconnectTimer);
    this.stopTimers();
    if (this.socket) this.socket.close(1000);
    this.socket = null;
    this.onEmpty();
  }
}

const streams = new Map(); // path → Stream: at most one socket per stream on a page

/** Listen to the live stream on `path` (opened once per page); see the top of this file. */
export function connectLive(path, hooks = {}) {
  let stream = streams.get(path);
  if (stream === undefined || stream.closed) {
    stream = new Stream(path, () => {
      if (streams.get(path) === stream) streams.delete(path);
    });
    streams.set(path, stream);
  }
  const listener = {
    // A widget's failing hook must not stop the others on the same stream.
    call(name, ...args) {
      if (typeof hooks[name] !== "function") return;
      try {
        hooks[name](...args);
      } catch (error) {
        console.error(`descent live: ${name} failed`, error);
      }
    },
  };
  stream.join(listener);
  let left = false;
  return {
    get seq() {
      return stream.seq;
    },
    send: (message) => stream.send(message),
    resync: () => stream.resync(),
    close() {
      if (left) return;
      left = true;
      stream.leave(listener);
    },
  };
}

/** The paths with an open stream on this page (for the curious, and the browser tests). */
export function openStreams() {
  return [...streams.keys()];
}
