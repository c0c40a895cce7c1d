"""Pause the SIP TCP/TLS listeners before connection churn can exhaust pjlib's socket table.

pjlib's select ioqueue in this wheel has 64 slots (``PJ_IOQUEUE_MAX_HANDLES``), shared by the UDP
transport, the listeners and every accepted TCP/TLS connection. An unregistered slot is held for
500 ms (``PJ_IOQUEUE_KEY_FREE_DELAY``) before it can be reused, and the ioqueue counts only live
slots when it checks for room: ~64 connections opened and closed within half a second leave the
count low but the free list empty, and the next accept aborts the whole process on an assertion
(``ioqueue_select.c:386``). ``TCP_DEFER_ACCEPT`` does not stop it: a FIN or one byte is data.
Neither the delay nor the table size can be changed at run time, and pjsua2 has no accept hook
(for TLS not even a state callback before the handshake).

So the engine reads the ioqueue's live-slot count after every poll (``IoqueueCounter``), adds the
slots released in the last hold period (``SlotOccupancy``) and, when the sum nears the table size,
attaches a classic BPF filter to the listening sockets (``ListenerGate``): the kernel then drops
every packet that would complete a new connection (SYNs and the handshakes already under way),
except from trusted sources (the front proxy). Clients retry their SYN after about a second;
connections already open, UDP and calls are untouched. The filter comes off once the held slots
have been released. One poll handles at most 16 events, and at most the listen backlog of already
accepted connections still arrive after the pause, so pausing at half the table leaves room.
"""

from __future__ import annotations

import ctypes
import ipaddress
import logging
import os
import socket
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from ivr.sip.bpf import (
    ALU_AND_K,
    IPV4_SOURCE,
    JEQ_K,
    KEEP_ALL,
    LD_W_ABS,
    RET_K,
    Program,
    attach_filter,
    detach_filter,
)
from ivr.sip.tcpguard import listening_sockets

logger = logging.getLogger(__name__)

SLOT_HOLD_S = 0.6  # pjlib holds a released slot 500 ms; a margin for the poll that saw it

# pj_ioqueue_t (select backend, pjlib 2.15.1 as built in pjsua2-python 2.15.1.post1):
# pj_lock_t *lock; pj_bool_t auto_delete_lock; pj_ioqueue_cfg cfg {epoll_flags,
# default_concurrency}; unsigned max; unsigned count; ...  Checked at start (see IoqueueCounter).
_IOQUEUE_MAX_OFFSET = 20
_IOQUEUE_COUNT_OFFSET = 24


class SlotOccupancy:
    """Live slots plus the slots released within ``hold_s`` (pure; clock injected).

    The live count alone hides turnover: a poll that accepts five connections and drops five
    others leaves it unchanged while five slots go on hold. So each poll reports how many
    events it handled and how many connections it is known to have accepted. With every accept
    known (TCP: PJSIP reports each one), releases = accepts - change, exactly. Without (TLS:
    PJSIP says nothing before the handshake) only an upper bound is safe: each release is at
    least one event of its own, while one accept event can take the whole backlog, so every
    event counts as a release. That overestimates (a UDP request counts too), never under.
    """

    def __init__(self, hold_s: float = SLOT_HOLD_S) -> None:
        self.hold_s = hold_s
        self._released: deque[tuple[float, int]] = deque()
        self._held = 0
        self._last: int | None = None

    def observe(self, live: int, now: float, events: int = 0, accepted: int = 0,
                accepts_known: bool = True) -> int:
        """Feed the live count after a poll; returns live + still-held slots."""
        change = 0 if self._last is None else live - self._last
        released = max(-change, 0)
        if self._last is not None:
            bound = accepted - change if accepts_known else max(events, 0)
            released = max(released, bound)
        if released > 0:
            self._released.append((now, released))
            self._held += released
        self._last = live
        while self._released and now - self._released[0][0] >= self.hold_s:
            self._held -= self._released.popleft()[1]
        return live + self._held


@dataclass(frozen=True)
class GateThresholds:
    """Pause at ``pause_at`` occupied slots, resume at ``resume_at`` or fewer."""

    pause_at: int
    resume_at: int

    @classmethod
    def for_capacity(cls, capacity: int) -> GateThresholds:
        """Half the table: one poll (16 events) and the backlog still fit above it."""
        pause_at = max(capacity // 2, 4)
        return cls(pause_at=pause_at, resume_at=max(pause_at - pause_at // 4, 1))


class AcceptGate:
    """Hysteresis over the occupancy: says when to pause and when to resume (pure)."""

    def __init__(self, thresholds: GateThresholds) -> None:
        self.thresholds = thresholds
        self.paused = False
        self.pauses = 0

    def decide(self, occupied: int) -> str | None:
        """"pause", "resume" or None (no change)."""
        if not self.paused and occupied >= self.thresholds.pause_at:
            self.paused = True
            self.pauses += 1
            return "pause"
        if self.paused and occupied <= self.thresholds.resume_at:
            self.paused = False
            return "resume"
        return None


def trusted_only_filter(
        networks: Iterable[ipaddress.IPv4Network]) -> Program:
    """Classic BPF for a paused listener: keep a packet only when its IPv4 source is in one of
    ``networks`` (none: drop all)."""
    program: Program = []
    nets = list(networks)
    for i, net in enumerate(nets):
        to_keep = 3 * (len(nets) - i) - 2  # from this test's jeq to the final "keep"
        program += [
            (LD_W_ABS, 0, 0, IPV4_SOURCE),
            (ALU_AND_K, 0, 0, int(net.netmask)),
            (JEQ_K, to_keep, 0, int(net.network_address)),
        ]
    return [*program, (RET_K, 0, 0, 0), (RET_K, 0, 0, KEEP_ALL)]


class IoqueueCounter:
    """Reads the live-slot count of PJSIP's ioqueue (no API for it exists)."""

    def __init__(self, lib: ctypes.CDLL, expected_live: int) -> None:
        lib.pjsua_get_pjsip_endpt.restype = ctypes.c_void_p
        lib.pjsip_endpt_get_ioqueue.restype = ctypes.c_void_p
        lib.pjsip_endpt_get_ioqueue.argtypes = [ctypes.c_void_p]
        address = lib.pjsip_endpt_get_ioqueue(lib.pjsua_get_pjsip_endpt())
        if not address:
            raise OSError("PJSIP has no ioqueue")
        self._max = ctypes.c_uint.from_address(address + _IOQUEUE_MAX_OFFSET)
        self._count = ctypes.c_uint.from_address(address + _IOQUEUE_COUNT_OFFSET)
        # The layout is the pinned wheel's; refuse to guess on another build.
        if not 16 <= self._max.value <= 65536 or self._count.value != expected_live:
            raise OSError(f"unexpected ioqueue layout (max={self._max.value}, "
                          f"count={self._count.value}, expected {expected_live} transports)")
        self.capacity = int(self._max.value)

    def live(self) -> int:
        return int(self._count.value)


class ListenerGate:
    """Attaches and detaches the pause filter on PJSIP's listening sockets."""

    def __init__(self, listener_fds: list[int], trusted: Iterable[str]) -> None:
        self.fds = listener_fds
        networks = []
        for text in trusted:
            try:
                net = ipaddress.ip_network(text, strict=False)
            except ValueError:
                continue
            if isinstance(net, ipaddress.IPv4Network):
                networks.append(net)
        self._v4_program = trusted_only_filter(networks)
        self._drop_all = trusted_only_filter([])

    def _program_for(self, fd: int) -> Program:
        sock = socket.socket(fileno=os.dup(fd))
        try:
            return self._v4_program if sock.family == socket.AF_INET else self._drop_all
        finally:
            sock.close()

    def pause(self) -> None:
        for fd in self.fds:
            try:
                attach_filter(fd, self._program_for(fd))
            except OSError as exc:
                logger.warning("could not pause SIP listener fd %d: %s", fd, exc)

    def resume(self) -> None:
        for fd in self.fds:
            detach_filter(fd)


PAUSE_LOG_INTERVAL_S = 10.0


class AcceptGating:
    """The engine's side: after each poll, read the count and pause/resume the listeners."""

    def __init__(self, counter: IoqueueCounter, listeners: ListenerGate) -> None:
        self.counter = counter
        self.listeners = listeners
        self.occupancy = SlotOccupancy()
        self.gate = AcceptGate(GateThresholds.for_capacity(counter.capacity))
        self.peak = 0
        self.accepts_known = True  # False when a TLS listener is up (see SlotOccupancy)
        self._accepted = 0
        self._paused_at = 0.0
        self._logged_at = -PAUSE_LOG_INTERVAL_S
        self._unlogged = 0

    @classmethod
    def start(cls, lib: ctypes.CDLL, live_transports: int, stream_ports: list[int],
              trusted: Iterable[str], tls: bool) -> AcceptGating | None:
        """None (with a warning) when there is nothing to guard or the count can't be read."""
        if not stream_ports:
            return None
        try:
            counter = IoqueueCounter(lib, live_transports)
        except (OSError, AttributeError) as exc:
            logger.warning("SIP TCP/TLS accept gate off (%s): a burst of connections opened "
                           "and closed at once can stop this agent; put the front before it "
                           "or take UDP only", exc)
            return None
        gating = cls(counter, ListenerGate(listening_sockets(stream_ports), trusted))
        gating.accepts_known = not tls
        logger.info("SIP TCP/TLS accept gate: listeners pause at %d of %d socket slots",
                    gating.gate.thresholds.pause_at, counter.capacity)
        return gating

    def connected(self) -> None:
        """PJSIP reported a new TCP connection (its transport state callback)."""
        self._accepted += 1

    def check(self, now: float, events: int) -> None:
        """After each poll: ``events`` is what libHandleEvents returned."""
        occupied = self.occupancy.observe(self.counter.live(), now, events, self._accepted,
                                          self.accepts_known)
        self._accepted = 0
        self.peak = max(self.peak, occupied)
        action = self.gate.decide(occupied)
        if action == "pause":
            self.listeners.pause()
            self._paused_at = now
            self._unlogged += 1
            if now - self._logged_at >= PAUSE_LOG_INTERVAL_S:
                logger.warning(
                    "SIP TCP/TLS listeners paused %d time(s): %d of %d socket slots in use or "
                    "held after close (connection churn); new connections wait for their SYN "
                    "retry, open ones and UDP go on", self._unlogged, occupied,
                    self.counter.capacity)
                self._logged_at = now
                self._unlogged = 0
        elif action == "resume":
            self.listeners.resume()
            logger.debug("SIP TCP/TLS listeners resumed after %.0f ms",
                         (now - self._paused_at) * 1000)
