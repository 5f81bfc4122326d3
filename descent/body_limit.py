"""Refuse an HTTP request body over DATA_UPLOAD_MAX_MEMORY_SIZE before anyone reads it.

Django's ASGI handler reads a whole body (to memory, then to a temporary file) before a view
runs, whatever its size; Django itself checks DATA_UPLOAD_MAX_MEMORY_SIZE only when a form
body is parsed (a 400). This middleware answers 413 at once when `Content-Length` is over the
limit, and ends a chunked upload that grows past it (the app sees the client disconnect).
The API's own, smaller limit (API_MAX_JSON_BYTES) answers 413 in its parser.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodySizeLimit:
    """ASGI middleware: 413 for a body over DATA_UPLOAD_MAX_MEMORY_SIZE."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "http":
            return await self.application(scope, receive, send)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        length = _content_length(scope)
        if length is not None and length > limit:
            body = json.dumps({"detail": f"the request body is {length:,} bytes, over the "
                                         f"limit of {limit:,}; send a smaller one"}).encode()
            await send({"type": "http.response.start", "status": 413, "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": body})
            return None
        received = 0

        async def limited_receive() -> dict[str, Any]:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    return {"type": "http.disconnect"}
            return message

        return await self.application(scope, limited_receive, send)
