"""JSON with limits — body size, nesting depth, finite numbers, readable integers.

`json_load` is the one reader of JSON text that a caller sent: the API's parser
(`LimitedJSONParser`) and the pages' forms (the submit page, the lab) both use it, so a
document is refused alike whichever way it came. Each breach is a `JSONInputError` whose
`errors` map a path (`spec.optimizer.learning_rate`, or `detail` for the whole document) to a
message that says how to fix it: a 400, never a 500.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.parsers import JSONParser

# Python refuses to read integers longer than this (sys.get_int_max_str_digits): converting
# one costs time quadratic in its length. No field takes more than 20 digits.
MAX_INTEGER_DIGITS = 4000


class JSONInputError(ValueError):
    """The document breaks a limit; `errors` maps paths to messages, `too_large` a 413."""

    def __init__(self, errors: dict[str, list[str]], *, too_large: bool = False) -> None:
        super().__init__("; ".join(f"{path}: {' '.join(m)}" for path, m in errors.items()))
        self.errors = errors
        self.too_large = too_large


class _Unreadable:
    """Stands in, while parsing, for a number that has no Python value; reported by path."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _integer(text: str) -> int | _Unreadable:
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        return _Unreadable(f"an integer of {digits:,} digits is too long to read; no field "
                           "takes more than 20 digits")
    return int(text)


def _real(text: str) -> float | _Unreadable:
    number = float(text)
    if not math.isfinite(number):
        return _Unreadable(f"numbers must be finite; {text[:40]} is beyond the largest number "
                           "(about 1.8e308)")
    return number


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON; send a number or null")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _check_tree(value: Any, *, root: str, max_depth: int) -> dict[str, list[str]]:
    """Return the unreadable numbers by path, or the one depth error; iterative, bounded."""
    errors: dict[str, list[str]] = {}
    stack: list[tuple[Any, str, int]] = [(value, root, 1)]
    while stack and len(errors) < 20:
        item, path, depth = stack.pop()
        if isinstance(item, _Unreadable):
            errors[path or "detail"] = [item.message]
        elif isinstance(item, dict | list):
            if depth > max_depth:
                # Named by the top-level field it is in, not by a path hundreds of [0] long.
                top = re.split(r"[.\[]", path, maxsplit=1)[0] if path else ""
                return {top or "detail": [f"the JSON document is nested deeper than "
                                          f"{max_depth} levels; flatten it"]}
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            stack.extend((child, _join(path, key), depth + 1) for key, child in pairs)
    return errors


def _where_too_deep(text: str, max_depth: int) -> str:
    """Return the dotted keys leading to where `text` nests past `max_depth` ("" if none).

    Only called once the parser gave up (RecursionError): a scan of the text, no recursion,
    that stops at the first level too many.
    """
    keys: list[str | None] = []  # per open container: its key in the parent, if an object's
    pending: str | None = None
    in_string, escaped, start = False, False, 0
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                pending = text[start:index]
            continue
        if char == '"':
            in_string, start = True, index + 1
        elif char in "{[":
            keys.append(pending)
            pending = None
            if len(keys) > max_depth:
                return ".".join(key[:40] for key in keys if key)
        elif char in "}]":
            if keys:
                keys.pop()
            pending = None
        elif char == ",":
            pending = None
    return ""


def json_load(text: str | bytes, *, root: str = "", max_bytes: int | None = None,
              max_depth: int | None = None) -> Any:
    """Parse JSON text within the API's limits; raise `JSONInputError` naming what is wrong.

    `root` names the field the text came in (`spec` for a form's spec box), so that a path
    reads `spec.optimizer.learning_rate`; errors about the whole document are under `root`,
    or `detail` without one.
    """
    max_bytes = settings.API_MAX_JSON_BYTES if max_bytes is None else max_bytes
    max_depth = settings.API_MAX_JSON_DEPTH if max_depth is None else max_depth
    where = root or "detail"
    size = len(text.encode() if isinstance(text, str) else text)
    if size > max_bytes:
        raise JSONInputError({where: [f"the document is {size:,} bytes, over the limit of "
                                      f"{max_bytes:,}; send a smaller one"]}, too_large=True)
    if not text.strip():
        raise JSONInputError({where: ["the document is empty; send a JSON object"]})
    try:
        data = json.loads(text, parse_constant=_no_constants, parse_int=_integer,
                          parse_float=_real)
    except RecursionError as exc:
        inside = _where_too_deep(text if isinstance(text, str) else text.decode(errors="replace"),
                                 max_depth)
        path = ".".join(part for part in (root, inside) if part) or "detail"
        raise JSONInputError({path: [f"the JSON document is nested too deeply (at most "
                                     f"{max_depth} levels); flatten it"]}) from exc
    except json.JSONDecodeError as exc:
        raise JSONInputError({where: [f"invalid JSON at line {exc.lineno}, column {exc.colno}: "
                                      f"{exc.msg}"]}) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise JSONInputError({where: [f"not valid JSON: {str(exc)[:200]}"]}) from exc
    errors = _check_tree(data, root=root, max_depth=max_depth)
    if errors:
        raise JSONInputError(errors)
    return data


class RequestTooLarge(APIException):
    """The body is over the size limit (413)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


class LimitedJSONParser(JSONParser):
    """Parse JSON bodies of at most API_MAX_JSON_BYTES, nested at most API_MAX_JSON_DEPTH."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        limit = settings.API_MAX_JSON_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestTooLarge(f"the request body is over {limit:,} bytes; send a smaller "
                                  "document")
        if not body:
            raise ParseError("the request body is empty; send a JSON object")
        try:
            return json_load(body, max_bytes=limit)
        except JSONInputError as exc:
            if set(exc.errors) == {"detail"}:
                raise ParseError(" ".join(exc.errors["detail"])) from exc
            raise ValidationError(exc.errors) from exc
