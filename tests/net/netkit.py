"""Hosts for cross-host tests: network namespaces on a private /24 joined by a bridge.

Each :class:`Lan` gets names unique to this run (pid + random), so parallel test runs never
collide; the addresses (10.77.0.0/24 by default) exist only inside the namespaces, so every run
may use the same ones. ``close()`` removes every namespace (and so every veth and the bridge)
whatever happened before; processes started in a namespace are the caller's to stop.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Sequence

SUBNET = "10.77.0"
IP_TIMEOUT_S = 10.0


class NetnsUnavailable(RuntimeError):
    """Namespaces cannot be created here (not root, no `ip`, a container without CAP_SYS_ADMIN)."""


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=IP_TIMEOUT_S,
                          check=False)
    if proc.returncode != 0:
        raise NetnsUnavailable(f"`ip {' '.join(args)}` failed: {proc.stderr.strip()}")


class Lan:
    """Hosts ``names`` at SUBNET.1, .2, ... on one bridged segment (a hub namespace)."""

    def __init__(self, names: Sequence[str], subnet: str = SUBNET) -> None:
        if shutil.which("ip") is None:
            raise NetnsUnavailable("the `ip` command (iproute2) is not installed")
        self.tag = f"ivrt{os.getpid() % 100000}{secrets.token_hex(3)}"
        self.subnet = subnet
        self.namespaces: dict[str, str] = {}
        self.addresses: dict[str, str] = {}
        self._hub = f"{self.tag}-hub"
        self._created: list[str] = []
        try:
            self._build(names)
        except BaseException:
            self.close()
            raise

    def _add_ns(self, name: str) -> None:
        _ip("netns", "add", name)
        self._created.append(name)
        _ip("-n", name, "link", "set", "lo", "up")

    def _build(self, names: Sequence[str]) -> None:
        self._add_ns(self._hub)
        _ip("-n", self._hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", self._hub, "link", "set", "br0", "up")
        for i, host in enumerate(names, start=1):
            ns = f"{self.tag}-{host}"
            self._add_ns(ns)
            # Created directly inside the two namespaces: the root namespace never sees the
            # names, so fixed names (eth0, pN) cannot collide with another run's.
            _ip("link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", f"p{i}",
                "netns", self._hub)
            _ip("-n", self._hub, "link", "set", f"p{i}", "master", "br0")
            _ip("-n", self._hub, "link", "set", f"p{i}", "up")
            address = f"{self.subnet}.{i}"
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            self.namespaces[host] = ns
            self.addresses[host] = address

    def argv(self, host: str, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside ``host``'s namespace (`ip netns exec` execs it: same pid)."""
        return ["ip", "netns", "exec", self.namespaces[host], *argv]

    def run(self, host: str, argv: Sequence[str], timeout_s: float = 30.0,
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(host, argv), capture_output=True, text=True,
                              timeout=timeout_s, check=False)

    def close(self) -> None:
        """Delete every namespace this Lan created (veths and the bridge go with them)."""
        for name in reversed(self._created):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False,
                           timeout=IP_TIMEOUT_S)
        self._created.clear()

    def __enter__(self) -> Lan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
