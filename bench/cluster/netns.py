"""Hosts on one machine: a network namespace each, a veth pair to a bridge in the root namespace.

`Network(prefix, subnet)` names everything it makes after `prefix` (namespaces
`<prefix>-<host>`, root-side veths `<prefix>-<host>`, the bridge `<prefix>-br0`) so that
`remove_leftovers(prefix)` can find and remove what an earlier run that crashed left behind:
processes inside those namespaces, the namespaces, the links. Needs root (CAP_NET_ADMIN).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# iproute2's `ip`, by its full path (Debian puts it in /usr/sbin, not always on PATH).
IP = shutil.which("ip") or "/usr/sbin/ip"
LOCK_DIR = Path("/run/lock") if Path("/run/lock").is_dir() else Path(tempfile.gettempdir())
# Linux caps interface names at 15 characters.
IFNAME_MAX = 15


class NetworkError(RuntimeError):
    """An `ip` command failed; the message carries its stderr."""


def ip(*args: str, check: bool = True) -> str:
    """Run `ip ARGS`; return its stdout, raise NetworkError with its stderr on failure."""
    result = subprocess.run([IP, *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise NetworkError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def namespaces(prefix: str) -> list[str]:
    """The network namespaces named `<prefix>-...`."""
    names = [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]
    return [name for name in names if name.startswith(f"{prefix}-")]


def links(prefix: str) -> list[str]:
    """The root namespace's links named `<prefix>-...` (veths and the bridge)."""
    found = []
    for line in ip("-o", "link", "show").splitlines():
        name = line.split(":", 2)[1].strip().split("@", 1)[0]
        if name.startswith(f"{prefix}-"):
            found.append(name)
    return found


def namespace_pids(namespace: str) -> list[int]:
    """The processes whose network namespace is `namespace`."""
    return [int(pid) for pid in ip("netns", "pids", namespace, check=False).split()]


def kill_namespace_processes(namespace: str, *, grace: float = 5.0) -> int:
    """SIGTERM every process in the namespace, SIGKILL what is left after `grace` s."""
    pids = namespace_pids(namespace)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while namespace_pids(namespace) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in namespace_pids(namespace):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while namespace_pids(namespace) and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(pids)


def remove_leftovers(prefix: str) -> list[str]:
    """Remove every namespace and link named after `prefix`, processes first; say what went."""
    removed = []
    for namespace in namespaces(prefix):
        kill_namespace_processes(namespace, grace=2.0)
        ip("netns", "del", namespace, check=False)
        removed.append(f"netns {namespace}")
    # A namespace's end takes its veth end with it, but not always at once.
    for name in links(prefix):
        ip("link", "del", name, check=False)
        removed.append(f"link {name}")
    return removed


@contextlib.contextmanager
def exclusive(prefix: str) -> Iterator[None]:
    """Hold the lock of `prefix`: one several-hosts run at a time, and leftovers removed
    only while no run of that prefix is alive."""
    LOCK_DIR.mkdir(parents=True, exist_ok=True)
    with (LOCK_DIR / f"descent-{prefix}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@dataclass
class Network:
    """A bridge in the root namespace and one namespace per host, each its own address."""

    prefix: str = "dsc"
    subnet: str = "10.77.0"  # a /24: .1 is the root namespace's address on the bridge
    hosts: dict[str, str] = field(default_factory=dict)  # host → address

    @property
    def bridge(self) -> str:
        return f"{self.prefix}-br0"

    @property
    def gateway(self) -> str:
        return f"{self.subnet}.1"

    def namespace(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    def veth(self, host: str) -> str:
        name = f"{self.prefix}-{host}"
        if len(name) > IFNAME_MAX:
            raise ValueError(f"interface name {name!r} is over {IFNAME_MAX} characters")
        return name

    def check_free(self) -> None:
        """Refuse a subnet the machine already routes somewhere (we would shadow it)."""
        for line in ip("-o", "-4", "addr", "show").splitlines():
            if f" {self.subnet}." in line and self.bridge not in line:
                raise NetworkError(f"{self.subnet}.0/24 is in use here ({line.split()[1]}): "
                                   "choose another subnet")

    def create(self, hosts: dict[str, int]) -> None:
        """Make the bridge and a namespace per host (host → last octet of its address)."""
        self.check_free()
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for host, octet in hosts.items():
            namespace, veth = self.namespace(host), self.veth(host)
            address = f"{self.subnet}.{octet}"
            ip("netns", "add", namespace)
            ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace)
            ip("link", "set", veth, "master", self.bridge)
            ip("link", "set", veth, "up")
            ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
            ip("-n", namespace, "link", "set", "eth0", "up")
            ip("-n", namespace, "link", "set", "lo", "up")
            self.hosts[host] = address

    def command(self, host: str, args: Sequence[str], *, hostname: bool = True) -> list[str]:
        """Return `args` run inside the host's namespace (and, by default, with the host's
        name as its hostname, so a worker reports `work1`, not the machine)."""
        inside = ["ip", "netns", "exec", self.namespace(host)]
        if not hostname:
            return [*inside, *args]
        return [*inside, "unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"',
                host, *args]

    def destroy(self) -> list[str]:
        """Remove every namespace and link of this prefix (and what runs inside)."""
        self.hosts.clear()
        return remove_leftovers(self.prefix)
