"""Close SIP-over-TCP/TLS connections that carry no call and no requests; cap them per source.

PJSIP 2.15.1 keeps an accepted TCP connection open for as long as the peer does: 62 idle or
half-sent connections filled its socket table and every further TCP caller got 503. pjsua2
exposes no idle or header timeout for accepted connections, so the engine sweeps them itself:
the accepted sockets are found in ``/proc/self/fd`` by their local (SIP) port, and one is shut
down (``shutdown(2)`` on a duplicate descriptor: PJSIP reads EOF and drops its transport) when

* it carries no call and no complete SIP request arrived on it for ``idle_timeout_s`` (idle,
  half-sent headers and one-byte-a-second senders alike), or
* its source holds more than ``per_source_count`` connections without calls (the ones quiet
  longest go first); trusted sources (a front proxy) are exempt from this cap.

The guard module reports each request's source (``seen_request``); the sweep runs on the SIP
engine thread.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

logger = logging.getLogger(__name__)

Peer = tuple[str, int]
DEFAULT_IDLE_TIMEOUT_S = 10.0
DEFAULT_PER_SOURCE_COUNT = 8
SWEEP_INTERVAL_S = 0.5


def _tcp_sockets(local_ports: Iterable[int]) -> Iterator[tuple[int, socket.socket]]:
    """(fd, duplicate) for each of this process's TCP sockets over IPv4/IPv6 bound to one of
    ``local_ports``. Unix sockets (the recogniser service's, socketpairs) are never ours to
    police. The duplicate is closed when the caller moves on; the fd stays PJSIP's."""
    ports = set(local_ports)
    for entry in Path("/proc/self/fd").iterdir():
        try:
            fd = int(entry.name)
            if not os.readlink(entry).startswith("socket:"):
                continue
            sock = socket.socket(fileno=os.dup(fd))
        except (OSError, ValueError):
            continue
        try:
            if (sock.family in (socket.AF_INET, socket.AF_INET6)
                    and sock.type == socket.SOCK_STREAM and sock.getsockname()[1] in ports):
                yield fd, sock
        except OSError:
            continue
        finally:
            sock.close()  # the duplicate only


def accepted_connections(local_ports: Iterable[int]) -> dict[Peer, int]:
    """{(peer ip, peer port): fd} of this process's TCP sockets accepted on ``local_ports``."""
    found: dict[Peer, int] = {}
    for fd, sock in _tcp_sockets(local_ports):
        try:
            peer = sock.getpeername()  # the listener has none: OSError
            found[(str(ipaddress.ip_address(peer[0])), int(peer[1]))] = fd
        except (OSError, ValueError):
            continue
    return found


def listening_sockets(local_ports: Iterable[int]) -> list[int]:
    """The fds of PJSIP's listening TCP/TLS sockets on ``local_ports``."""
    found = []
    for fd, sock in _tcp_sockets(local_ports):
        try:
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                found.append(fd)
        except OSError:
            continue
    return found


DEFER_ACCEPT_S = 5


def defer_accept(local_ports: Iterable[int], seconds: int = DEFER_ACCEPT_S) -> int:
    """TCP_DEFER_ACCEPT on PJSIP's listening sockets: a connection reaches PJSIP only once it
    has sent data. Connect-and-close churn without data then never takes one of PJSIP's 64
    socket slots (PJSIP keeps a closed one 500 ms and aborts when none is free). Returns how
    many listeners were set."""
    done = 0
    for _, sock in _tcp_sockets(local_ports):
        try:
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, seconds)
                done += 1
        except OSError:
            continue
    return done


def close_connection(fd: int) -> None:
    """Shut the connection down; PJSIP sees EOF and destroys its transport."""
    sock = socket.socket(fileno=os.dup(fd))
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.close()


def to_close(connections: dict[Peer, float], busy: set[Peer], now: float,
             idle_timeout_s: float, per_source_count: int,
             trusted: Callable[[str], bool]) -> list[Peer]:
    """Which connections to close, given when each last carried a request (pure)."""
    closing = [peer for peer, last in connections.items()
               if peer not in busy and now - last >= idle_timeout_s]
    by_source: dict[str, list[Peer]] = {}
    for peer in connections:
        if peer not in busy and peer not in closing and not trusted(peer[0]):
            by_source.setdefault(peer[0], []).append(peer)
    for peers in by_source.values():
        if len(peers) > per_source_count:
            peers.sort(key=lambda p: connections[p])  # quiet longest first
            closing += peers[: len(peers) - per_source_count]
    return closing


class TcpGuard:
    """Tracks the accepted connections' last request and closes the ones to close."""

    def __init__(self, idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S,
                 per_source_count: int = DEFAULT_PER_SOURCE_COUNT,
                 trusted: Callable[[str], bool] = lambda ip: False) -> None:
        self.idle_timeout_s = idle_timeout_s
        self.per_source_count = per_source_count
        self._trusted = trusted
        self._last: dict[Peer, float] = {}
        self.closed_count = 0

    def seen_request(self, peer: Peer, now: float) -> None:
        """A complete request arrived from ``peer`` (any transport; UDP entries age out)."""
        self._last[peer] = now

    def sweep(self, local_ports: Iterable[int], busy: set[Peer], now: float) -> int:
        """Close what must be closed; returns how many."""
        live = accepted_connections(local_ports)
        known = {peer: self._last.get(peer, now) for peer in live}
        self._last = known  # forget peers with no connection (and UDP senders)
        closing = to_close(known, busy, now, self.idle_timeout_s, self.per_source_count,
                           self._trusted)
        for peer in closing:
            close_connection(live[peer])
            self._last.pop(peer, None)
        if closing:
            self.closed_count += len(closing)
            sources = sorted({ip for ip, _ in closing})
            logger.warning("closed %d idle or excess SIP TCP connection(s) from %s",
                           len(closing), ", ".join(sources[:5]) +
                           (f" and {len(sources) - 5} more" if len(sources) > 5 else ""))
        return len(closing)
