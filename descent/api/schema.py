"""The OpenAPI schema: every operation documents the 4xx answers it can give.

`ErrorDocumentingAutoSchema` (the project's DEFAULT_SCHEMA_CLASS) adds, to what a view
declares, the error responses its configuration makes possible, with their bodies:

- 400 `ValidationError` for every operation that takes a body (field → messages, or
  `detail` for a body that is not JSON), and for every read with query parameters of its own;
- 401 `Error` wherever a token is read (a wrong token is refused even where anyone may read);
- 403 `Error` for writes under session authentication (CSRF), and where the view says;
- 404 `Error` for every path with a parameter, and for a list's page past the last;
- 413 `Error` and 415 `Error` for every write (a body over the size limit, or not JSON);
- 429 `TooManyRequests`, with `Retry-After`, where a throttle scope applies;
- 503 `Error`, with `Retry-After`, everywhere: a service the request needs (the database,
  Redis) is down for a moment.

A view adds the ones only it knows of (a locked node's 403 on GET, the quota's 429) with
`extend_schema(responses=...)`; a declared response is never replaced, only given the
error's body when it describes none.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.throttling import ScopedRateThrottle


class ErrorSerializer(serializers.Serializer):
    """What went wrong, in words."""

    class Meta:
        ref_name = "Error"

    detail = serializers.CharField()


class TooManyRequestsSerializer(ErrorSerializer):
    """A limit was reached; ask again after `retry_after` seconds (also the Retry-After header)."""

    class Meta:
        ref_name = "TooManyRequests"

    retry_after = serializers.IntegerField(min_value=1)


VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Each field path at fault with the messages that say how to fix it, e.g. "
                   '`{"layers[2].units": ["..."]}`; `detail` when the body is not valid JSON.',
    "additionalProperties": {},
}

RETRY_AFTER_HEADER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"},
}

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorDocumentingAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the 4xx responses an operation can give."""

    def _possible_errors(self) -> dict[str, str]:
        view = self.view
        authenticators = view.get_authenticators()
        errors: dict[str, str] = {}
        if self.method in {"POST", "PUT", "PATCH"} and self.get_request_serializer() is not None:
            errors["400"] = "The input is not valid: the body names each field and the fix."
        elif self.method == "GET" and self._declares_query_parameters():
            errors["400"] = "A query parameter is not valid: the body names it and the fix."
        if any(isinstance(a, TokenAuthentication) for a in authenticators):
            errors["401"] = "Not signed in, or the token is not valid."
        if self.method in WRITE_METHODS and any(
            isinstance(a, SessionAuthentication) for a in authenticators
        ):
            errors["403"] = "Not allowed (or, signed in by session, no CSRF token)."
        if "{" in self.path:
            errors["404"] = "No such object that you may see."
        elif self._is_list_view() and self._get_paginator() is not None:
            errors["404"] = "No such page (`page` past the last one), or no such filter value."
        if self.method in WRITE_METHODS:
            errors["413"] = "The body is over the size limit (256 KiB of JSON; 1 MiB in all)."
            errors["415"] = "The body is not `application/json`."
        if getattr(view, "throttle_scope", None) and any(
            self._throttles(throttle) for throttle in view.get_throttles()
        ):
            errors["429"] = "Too many requests: see Retry-After."
        errors["503"] = "A service the request needs is down for a moment: see Retry-After."
        return errors

    def _declares_query_parameters(self) -> bool:
        # A read that takes its own query parameters (`?verified=`, the stepper's knobs)
        # checks them and answers 400 naming the one at fault; `page`/`limit` answer 404.
        return any(getattr(parameter, "location", None) == "query"
                   for parameter in self.get_override_parameters())

    def _throttles(self, throttle: Any) -> bool:
        # A throttle that lets this method through (reads of the board) never answers 429.
        methods = getattr(throttle, "throttled_methods", None)
        return isinstance(throttle, ScopedRateThrottle) and (
            methods is None or self.method in methods)

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, description in self._possible_errors().items():
            if code not in responses:
                responses[code] = self.error_response(code, description)
        for code, response in responses.items():
            if code >= "400" and "content" not in response:
                # A view that only described an error gets the error's documented body.
                response["content"] = self.error_response(code, "")["content"]
            if code in {"429", "503"}:
                responses[code].setdefault("headers", {}).update(RETRY_AFTER_HEADER)
        return responses

    def error_response(self, code: str, description: str) -> dict[str, Any]:
        """Return the documented response for error `code`."""
        if code == "400":
            return self._get_response_for_code(VALIDATION_ERROR_SCHEMA, code) | {
                "description": description}
        body = TooManyRequestsSerializer if code == "429" else ErrorSerializer
        return self._get_response_for_code(body, code) | {"description": description}
