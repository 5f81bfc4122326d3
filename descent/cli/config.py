"""The token store: which servers this user logged in to, with which API token.

One JSON file, `credentials.json`, readable by its owner only (0600, in a 0700 directory):

    {"current": "http://127.0.0.1:8000",
     "servers": {"http://127.0.0.1:8000": {"token": "…", "username": "ada"}}}

The directory is `$DESCENT_CONFIG_DIR` if set (tests), else the user's config directory
(`$XDG_CONFIG_HOME/descent/` or `~/.config/descent/` on Linux).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from descent.cli.errors import EXIT_USAGE, CliError

FILE_NAME = "credentials.json"


class ConfigError(CliError):
    """The stored configuration cannot be used; the message says how to fix it."""

    def __init__(self, *lines: str) -> None:
        super().__init__(*lines, exit_code=EXIT_USAGE)


@dataclass(frozen=True)
class Login:
    """A server this user logged in to."""

    server: str
    token: str
    username: str


def config_dir() -> Path:
    """Return the directory of the token store (not created)."""
    override = os.environ.get("DESCENT_CONFIG_DIR")
    if override:
        return Path(override)
    return Path(click.get_app_dir("descent"))


def credentials_path() -> Path:
    """Return the path of the token file."""
    return config_dir() / FILE_NAME


def normalise_server(url: str) -> str:
    """Return `scheme://host[:port]` of a server URL; refuse anything but http(s)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"invalid server URL {url!r}: use http://HOST[:PORT] or "
                          "https://HOST, e.g. http://127.0.0.1:8000")
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}"


def _read() -> dict[str, Any]:
    path = credentials_path()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"current": None, "servers": {}}
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read {path}: {error}; delete it and log in again") from None
    if not isinstance(document, dict) or not isinstance(document.get("servers"), dict):
        raise ConfigError(f"{path} is not a descent token file; delete it and log in again")
    return document


def _write(document: dict[str, Any]) -> Path:
    """Write the token file atomically, never readable by anyone else, even for a moment."""
    directory = config_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory.chmod(0o700)
    # mkstemp creates the file 0600; the rename makes the switch atomic.
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".credentials-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2)
            out.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, credentials_path())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return credentials_path()


def login_save(*, server: str, token: str, username: str) -> Path:
    """Store the token for `server` and make it the current server; return the file's path."""
    document = _read()
    document["servers"][server] = {"token": token, "username": username}
    document["current"] = server
    return _write(document)


def login_forget(*, server: str) -> bool:
    """Forget the token of `server`; return whether there was one."""
    document = _read()
    if document["servers"].pop(server, None) is None:
        return False
    if document.get("current") == server:
        document["current"] = next(iter(document["servers"]), None)
    _write(document)
    return True


def current_server(explicit: str | None) -> str:
    """Return the server to talk to: `--server`, else the one logged in to last."""
    if explicit:
        return normalise_server(explicit)
    current = _read().get("current")
    if not current:
        raise ConfigError("no server: log in first (descent login http://HOST:PORT) or pass "
                          "--server URL")
    return current


def login_for(server: str) -> Login | None:
    """Return the stored login for `server`, if any."""
    entry = _read()["servers"].get(server)
    if not isinstance(entry, dict) or not entry.get("token"):
        return None
    return Login(server=server, token=entry["token"], username=entry.get("username", ""))
