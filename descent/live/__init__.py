"""The live path: what a process publishes, how an ASGI process fans it out to its sockets.

- `publisher.py` — `publish_on_commit` / `publish_seq_on_commit`, the only ways a service
  publishes, and the per-process `Publisher` thread beneath them;
- `hub.py` — `GroupHub`: one channel-layer subscription per group per ASGI process, fanned out
  to each connection's outbox;
- `consumer.py` — `LiveConsumer`, the base WebSocket: inbound limits, ping/resync, outbox
  writer, presence;
- `presence.py` — who is online, as expiring Redis entries;
- `process_local.py` — `per_process` / `per_event_loop`, how each of these is made once.

The groups and messages themselves belong to the apps (`challenges/services/live.py`,
`community/services/notifications.py`).
"""
