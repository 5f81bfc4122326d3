"""A JSON parser with limits: body size, nesting depth, no NaN. Each breach is a 400."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _depth(value: Any, limit: int) -> int:
    """Return the nesting depth of a parsed JSON value, stopping past `limit`."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON; send a number or null")


class LimitedJSONParser(JSONParser):
    """Parse JSON bodies of at most API_MAX_JSON_BYTES, nested at most API_MAX_JSON_DEPTH."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        limit = settings.API_MAX_JSON_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise ParseError(f"the request body is over {limit} bytes; send a smaller document")
        if not body:
            raise ParseError("the request body is empty; send a JSON object")
        try:
            data = json.loads(body, parse_constant=_no_constants)
        except RecursionError as exc:
            raise ParseError("the JSON document is nested too deeply") from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"the request body is not valid JSON: {exc}") from exc
        max_depth = settings.API_MAX_JSON_DEPTH
        if _depth(data, max_depth) > max_depth:
            raise ParseError(f"the JSON document is nested deeper than {max_depth} levels")
        return data
