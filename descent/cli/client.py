"""The HTTP client of Descent's API (CONTRACT §3), on httpx.

Every failure becomes a `CliError` with a sentence a person can act on: an unreachable server
("cannot reach http://…: connection refused"), a refused spec (one line per field), a spent
quota (runs left and when it resets), a missing log-in. No traceback ever reaches the user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx

from descent.cli.errors import EXIT_LIMIT, EXIT_SERVER, EXIT_USAGE, CliError

TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def error_lines(body: Any, prefix: str = "") -> list[str]:
    """Flatten a DRF error body into `field: message` lines (nested fields joined by dots)."""
    if isinstance(body, dict):
        lines: list[str] = []
        for key, value in body.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            lines.extend(error_lines(value, "" if key == "detail" and not prefix else name))
        return lines
    if isinstance(body, list):
        if all(isinstance(item, str) for item in body):
            return [f"{prefix}: {item}" if prefix else str(item) for item in body]
        return [line for index, item in enumerate(body)
                for line in error_lines(item, f"{prefix}[{index}]")]
    return [f"{prefix}: {body}" if prefix else str(body)]


def _connection_reason(error: httpx.TransportError) -> str:
    text = str(error) or type(error).__name__
    lowered = text.lower()
    if "refused" in lowered:
        return "connection refused"
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    if "name or service not known" in lowered or "nodename nor servname" in lowered:
        return "unknown host"
    return text


def _in_words(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


def limit_lines(response: httpx.Response) -> list[str]:
    """Say what limit a 429 hit: runs left and when the quota resets, or when to retry."""
    body = _json_or_none(response)
    body = body if isinstance(body, dict) else {}
    retry_after = body.get("retry_after") or response.headers.get("Retry-After")
    try:
        wait = int(retry_after) if retry_after is not None else None
    except ValueError:
        wait = None
    quota = body.get("quota")
    if isinstance(quota, dict):
        resets = quota.get("resets_at")
        when = resets
        try:
            when = dt.datetime.fromisoformat(str(resets).replace("Z", "+00:00")).strftime(
                "%Y-%m-%d %H:%M UTC")
        except ValueError:
            pass
        lines = [f"daily quota spent: {quota.get('left', 0)} of {quota.get('limit')} runs left "
                 f"today ({quota.get('used')} used)",
                 f"the quota resets at {when}"
                 + (f" (in {_in_words(wait)})" if wait is not None else "")]
        return lines
    detail = body.get("detail") or "too many requests"
    return [str(detail)] + ([f"try again in {_in_words(wait)}"] if wait is not None else [])


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class ApiClient:
    """Talk to one Descent server, with the stored token if there is one."""

    def __init__(self, server: str, token: str | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.server = server
        self.api_token = token
        headers = {"Accept": "application/json", "User-Agent": "descent-cli"}
        if token:
            headers["Authorization"] = f"Token {token}"
        self.http = httpx.Client(base_url=server, headers=headers, timeout=TIMEOUT,
                                 transport=transport)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- transport ----------------------------------------------------------------------

    def request(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        """Send a request and return its JSON; raise `CliError` saying what went wrong."""
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise CliError(f"cannot reach {self.server}: {_connection_reason(error)}",
                           exit_code=EXIT_SERVER) from None
        if response.status_code < 400:
            return _json_or_none(response)
        self.raise_for(response, what)
        raise AssertionError("unreachable")  # raise_for always raises

    def raise_for(self, response: httpx.Response, what: str) -> None:
        """Turn an error response into a `CliError` whose lines a person can act on."""
        status = response.status_code
        body = _json_or_none(response)
        if status == 400:
            raise CliError(f"the server refused {what}:",
                           *(f"  {line}" for line in error_lines(body)), exit_code=EXIT_USAGE)
        if status == 429:
            raise CliError(f"the server refused {what}: limit reached", *(f"  {line}" for line in
                                                         limit_lines(response)),
                           exit_code=EXIT_LIMIT)
        detail = body.get("detail") if isinstance(body, dict) else None
        if status == 401 or (status == 403 and not self.api_token):
            raise CliError(f"not logged in to {self.server} (run: descent login "
                           f"{self.server})", exit_code=EXIT_SERVER)
        if status == 404:
            raise CliError(f"{what}: not found on {self.server} (or not visible to you)",
                           exit_code=EXIT_SERVER)
        if status == 403:
            raise CliError(f"{what}: {detail or 'forbidden'}", exit_code=EXIT_SERVER)
        raise CliError(f"{what}: the server answered {status} {response.reason_phrase}"
                       + (f": {detail}" if detail else ""), exit_code=EXIT_SERVER)

    def get(self, path: str, *, what: str, **params: Any) -> Any:
        return self.request("GET", path, what=what, params=params or None)

    def post(self, path: str, payload: dict[str, Any], *, what: str) -> Any:
        return self.request("POST", path, what=what, json=payload)

    def pages(self, path: str, *, what: str) -> Iterator[dict[str, Any]]:
        """Yield every result of a paginated list, following `next` links."""
        page = self.get(path, what=what, page_size=100)
        while True:
            yield from page.get("results", [])
            following = page.get("next")
            if not following:
                return
            page = self.request("GET", following, what=what)

    # --- the API ------------------------------------------------------------------------

    def fetch_token(self, username: str, password: str) -> str:
        return self.post("/api/auth/token/", {"username": username, "password": password},
                         what="log-in")["token"]

    def challenges(self) -> list[dict[str, Any]]:
        return list(self.pages("/api/challenges/", what="listing challenges"))

    def challenge(self, slug: str) -> dict[str, Any]:
        return self.get(f"/api/challenges/{slug}/", what=f"challenge '{slug}'")

    def leaderboard(self, slug: str, verified: bool = False) -> dict[str, Any]:
        """Return the whole board: the first page's fields, with every page's entries."""
        params: dict[str, Any] = {"page_size": 500} | ({"verified": 1} if verified else {})
        what = f"the leaderboard of '{slug}'"
        board = self.get(f"/api/challenges/{slug}/leaderboard/", what=what, **params)
        page = board
        while page.get("next"):
            page = self.request("GET", page["next"], what=what)
            board["entries"].extend(page["entries"])
        return board

    def submit(self, slug: str, spec: Any, note: str = "",
               forked_from: int | None = None, ghost_run: int | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"spec": spec, "note": note}
        if forked_from is not None:
            payload["forked_from"] = forked_from
        if ghost_run is not None:
            payload["ghost_run"] = ghost_run
        return self.post(f"/api/challenges/{slug}/submissions/", payload, what="the submission")

    def run(self, run_id: int) -> dict[str, Any]:
        return self.get(f"/api/runs/{run_id}/", what=f"run #{run_id}")
