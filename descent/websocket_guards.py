"""What every WebSocket route gets before its own code runs: limits, origin, a connection cap.

`GuardedConsumer` is the base of every consumer (`/ws/ping/`, `/ws/notifications/`, the live
routes through `LiveConsumer`):

- a frame over MAX_INBOUND_BYTES, or a binary frame, closes the socket with 1009;
- more than RATE_PER_SECOND frames a second (bursts to RATE_BURST) close it with 1008;
- a frame that is not JSON — or nested too deeply to read — closes it with 1007;
- Redis (the channel layer) unreachable at connect: accepted and closed with 1013;
- once closed, the socket is closed: a second close, a send from a writer task or a frame that
  was already on its way is dropped instead of raising in the server ("Unexpected ASGI
  message 'websocket.close', after sending 'websocket.close'").

The ASGI middlewares, outermost first (`descent/asgi.py`):

- `OriginOrToken`: a browser always sends `Origin` on a WebSocket handshake, so a foreign
  Origin is refused (channels' `AllowedHostsOriginValidator`, against ALLOWED_HOSTS); a
  handshake *without* Origin is not from a page, and is let in only with a valid API token
  (`Authorization: Token <key>`, as the `descent` command sends it). A cookie alone, without
  Origin, never authenticates a socket.
- `TokenUser` (inside `AuthMiddlewareStack`): a valid token names the socket's user.
- `ConnectionCap`: at most WS_MAX_CONNECTIONS_PER_ADDRESS open sockets per client address in
  one ASGI process; the next is accepted and closed at once with 1013 ("try again later").
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections import Counter
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from rest_framework.authtoken.models import Token

from descent.client_address import scope_client_address
from descent.unavailable import redis_unavailable

log = logging.getLogger(__name__)

MAX_INBOUND_BYTES = 1024
RATE_PER_SECOND = 5.0
RATE_BURST = 10.0

CLOSE_INVALID_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_TRY_AGAIN_LATER = 1013


class GuardedConsumer(AsyncJsonWebsocketConsumer):
    """A JSON WebSocket consumer with inbound limits and a close that happens once."""

    closed: bool = False

    accepted: bool = False

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            if not redis_unavailable(exc):
                raise
            # The channel layer's receive of this socket's channel failed with Redis: end the
            # socket with "try again later" (a no-op if it is closed already), not a traceback.
            log.warning("WebSocket ended: Redis unavailable (%s)", exc)
            with contextlib.suppress(Exception):
                if not self.accepted:
                    await self.accept()
                await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        self.tokens = RATE_BURST
        self.last_refill = time.monotonic()
        try:
            await super().websocket_connect(message)
        except Exception as exc:
            if not redis_unavailable(exc):
                raise
            # Redis (the channel layer) is down: an outage, so the client is told to come
            # back later (1013) instead of losing the socket to an unhandled exception.
            log.warning("WebSocket connect refused: Redis unavailable (%s)", exc)
            if not self.accepted:
                await self.accept()  # a close before accept would reach the client as a 403
            await self.close(code=CLOSE_TRY_AGAIN_LATER)

    async def accept(self, subprotocol: str | None = None,
                     headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.accepted = True
        await super().accept(subprotocol=subprotocol, headers=headers)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        self.closed = True
        await super().websocket_disconnect(message)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        """Close the socket with `code`, once; later calls do nothing."""
        if self.closed:
            return
        self.closed = True
        await super().close(code=code, reason=reason)

    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None,
                   close: bool = False) -> None:
        """Send a frame unless the socket is closed (then drop it: nobody would read it)."""
        if self.closed:
            return
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except OSError:  # Uvicorn's ClientDisconnected: the client went away mid-send
            self.closed = True

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None,
                      **kwargs: Any) -> None:
        if self.closed:
            return
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > MAX_INBOUND_BYTES or bytes_data is not None:
            await self.close(code=CLOSE_TOO_BIG)
            return
        now = time.monotonic()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.last_refill) * RATE_PER_SECOND)
        self.last_refill = now
        if self.tokens < 1:
            await self.close(code=CLOSE_POLICY)
            return
        self.tokens -= 1
        try:
            content = json.loads(text_data or "")
        except (ValueError, RecursionError):
            await self.close(code=CLOSE_INVALID_DATA)
            return
        await self.receive_json(content, **kwargs)


def _header(scope: dict[str, Any], name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value
    return None


@database_sync_to_async
def _token_user(authorization: bytes | None) -> Any:
    """Return the active user of an `Authorization: Token <key>` header, or None."""
    if not authorization:
        return None
    scheme, _, key = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "token" or not key.strip() or len(key) > 64:
        return None
    token = Token.objects.select_related("user").filter(key=key.strip()).first()
    if token is None or not token.user.is_active:
        return None
    return token.user


async def _refuse(receive: Any, send: Any) -> None:
    """Refuse a handshake (the client sees HTTP 403)."""
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": CLOSE_POLICY})


class OriginOrToken:
    """Let a WebSocket in with an allowed Origin, or without Origin but with a valid token."""

    def __init__(self, application: Any) -> None:
        self.application = application
        self.origin_check = AllowedHostsOriginValidator(application)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.application(scope, receive, send)
        user = await _token_user(_header(scope, b"authorization"))
        if user is not None:
            scope = {**scope, "descent.token_user": user}
        if _header(scope, b"origin") is not None:
            return await self.origin_check(scope, receive, send)
        if user is None:
            return await _refuse(receive, send)
        # No Origin: not a browser page, so no ambient cookie may speak for it.
        headers = [(k, v) for k, v in scope["headers"] if k != b"cookie"]
        return await self.application({**scope, "headers": headers}, receive, send)


class TokenUser:
    """Make a socket that came with a valid API token that token's user (inside the auth
    middleware, so it replaces the session's user)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        user = scope.get("descent.token_user")
        if user is not None:
            scope = {**scope, "user": user}
        return await self.application(scope, receive, send)


class ConnectionCap:
    """At most WS_MAX_CONNECTIONS_PER_ADDRESS open WebSockets per address in this process."""

    def __init__(self, application: Any) -> None:
        self.application = application
        self.open: Counter[str] = Counter()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await self.application(scope, receive, send)
        address = scope_client_address(scope)
        if self.open[address] >= settings.WS_MAX_CONNECTIONS_PER_ADDRESS:
            message = await receive()
            if message["type"] == "websocket.connect":
                # Accepted, then closed: the client reads why (a refused handshake is an
                # opaque 403 to browser code).
                await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER,
                            "reason": "too many connections from your address"})
            return None
        self.open[address] += 1
        try:
            return await self.application(scope, receive, send)
        finally:
            self.open[address] -= 1
            if self.open[address] <= 0:
                del self.open[address]
