"""Who is calling: the client's address, trusting `X-Forwarded-For` only from our own proxies.

`TRUSTED_PROXIES` (a comma-separated list of addresses or networks, empty by default; else
Uvicorn's own `FORWARDED_ALLOW_IPS`, never `*`) names the reverse proxies in front of the ASGI
server. The same list configures Uvicorn
(`--forwarded-allow-ips`, in `descent/stack/servers.py`, the one place its command line is
built) and Django (`client_address`), so both read the address the same way:

- the peer is not a trusted proxy (or none is configured): the peer's address, whatever
  headers it sent — a spoofed `X-Forwarded-For` changes nothing;
- the peer is a trusted proxy: the right-most address in `X-Forwarded-For` that is not itself
  a trusted proxy (the left-most ones are whatever the client wrote).

Settings are read only when an address is asked for, so the stack can call
`trusted_proxies_from_env` before Django is set up.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable

from django.conf import settings


def trusted_proxies_from_env(environ: dict[str, str] | None = None) -> list[str]:
    """Return TRUSTED_PROXIES from the environment as a list (empty when unset).

    `FORWARDED_ALLOW_IPS` (Uvicorn's own variable, which docs/deploy.md sets) is read when
    TRUSTED_PROXIES is not: the same list under the name Uvicorn knows. Neither set means no
    proxy — not Uvicorn's default of trusting 127.0.0.1.
    """
    environ = environ if environ is not None else os.environ
    value = environ.get("TRUSTED_PROXIES") or environ.get("FORWARDED_ALLOW_IPS") or ""
    return [item.strip() for item in value.split(",") if item.strip() and item.strip() != "*"]


def _networks(proxies: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for proxy in proxies:
        try:
            networks.append(ipaddress.ip_network(proxy, strict=False))
        except ValueError:  # Uvicorn also takes literals (a socket path): no address of ours
            continue
    return networks


def _trusted(address: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def address_behind_proxies(peer: str, forwarded_for: str, proxies: Iterable[str]) -> str:
    """Return the client's address given the peer, its X-Forwarded-For and the trusted list."""
    networks = _networks(proxies)
    if not networks or not forwarded_for or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else peer


def client_address(meta: dict) -> str:
    """Return the caller's address from a request's META (Django)."""
    peer = str(meta.get("REMOTE_ADDR") or "unknown")
    return address_behind_proxies(peer, str(meta.get("HTTP_X_FORWARDED_FOR") or ""),
                                  settings.TRUSTED_PROXIES)


def scope_client_address(scope: dict) -> str:
    """Return the caller's address from an ASGI scope (WebSockets)."""
    client = scope.get("client") or ("unknown", 0)
    forwarded = b""
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            forwarded = value
    return address_behind_proxies(str(client[0]), forwarded.decode("latin-1"),
                                  settings.TRUSTED_PROXIES)
