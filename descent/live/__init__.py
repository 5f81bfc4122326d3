"""The live path: what a process publishes, how an ASGI process fans it out to its sockets.

- `publisher.py` — `publish_on_commit` / `publish_seq_on_commit`, the only ways a service
  publishes, and the per-process `Publisher` thread beneath them;
- `coalesce.py` — `Coalescer`: a job per key at most once an interval (leaderboards in a burst);
- `ranked.py` — a ranked board's delta and how to apply it (pure; the CLI uses it too);
- `hub.py` — `GroupHub`: one channel-layer subscription per group per ASGI process, fanned out
  to each connection's outbox, in each member's variant, with batches and heartbeats;
- `consumer.py` — `LiveConsumer`, the base WebSocket: inbound limits, ping/resync, outbox
  writer, presence;
- `presence.py` — who is online, as expiring Redis entries;
- `process_local.py` — `per_process` / `per_event_loop`, how each of these is made once.

The groups and messages themselves belong to the apps (`challenges/services/live.py`,
`community/services/notifications.py`).
"""
