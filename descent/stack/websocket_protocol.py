"""Uvicorn's WebSocket protocol with small send queues: a client that stops reading is soon
costless.

The server cannot tell that a client stopped reading until flow control says so, and until
then every message it is sent is a write. By default that took long: asyncio buffers 64 KiB
per connection in user space, and the kernel's send queue (auto-tuned) takes more — a
never-reading client on loopback absorbed ~170 KB (~290 progress messages) before its writer
blocked, so 200 of them cost ~58,000 wasted writes and the readers' p99 rose ~9×. Here:

- `TCP_NOTSENT_LOWAT` = NOTSENT_LOWAT: the kernel takes no more once that many bytes wait
  unsent (bytes in flight are still governed by the window and the auto-tuned buffer, so a
  reading client's throughput is unchanged; HTTP/2 servers use it for the same reason);
- asyncio's write buffer pauses the app past WRITE_BUFFER_HIGH.

Once a writer is paused, the connection's outbox fills and later messages are dropped in O(1)
(descent/live/consumer.py). `descent/stack/servers.py` passes the class to Uvicorn (`--ws`).
"""

from __future__ import annotations

import contextlib
import socket
from asyncio import BaseTransport, WriteTransport

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

NOTSENT_LOWAT = 16 * 1024
WRITE_BUFFER_HIGH = 16 * 1024
WRITE_BUFFER_LOW = 4 * 1024


class BoundedWebSocketProtocol(WebSocketsSansIOProtocol):
    """WebSocketsSansIOProtocol with bounded kernel and user-space send queues."""

    def connection_made(self, transport: BaseTransport) -> None:
        super().connection_made(transport)
        raw = transport.get_extra_info("socket")
        option = getattr(socket, "TCP_NOTSENT_LOWAT", None)  # Linux and macOS
        if raw is not None and option is not None and raw.family != socket.AF_UNIX:
            with contextlib.suppress(OSError):
                raw.setsockopt(socket.IPPROTO_TCP, option, NOTSENT_LOWAT)
        if isinstance(transport, WriteTransport):
            transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH, low=WRITE_BUFFER_LOW)
