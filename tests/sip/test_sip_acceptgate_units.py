"""The accept gate's arithmetic (virtual time) and its kernel filter (real sockets on loopback).

The gate keeps pjlib's 64-slot socket table from running out under connection churn
(ivr/sip/acceptgate.py); tests/sip/test_sip_tcp_lockout.py churns a real agent.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

from ivr.sip.acceptgate import (
    AcceptGate,
    GateThresholds,
    ListenerGate,
    SlotOccupancy,
    trusted_only_filter,
)


def test_hidden_turnover_is_counted_when_accepts_are_known() -> None:
    slots = SlotOccupancy(hold_s=0.6)
    assert slots.observe(2, 0.0) == 2
    # One poll accepts 5 connections and drops 5 others: the live count does not move, yet
    # 5 slots are now held for pjlib's 500 ms.
    assert slots.observe(2, 0.01, events=10, accepted=5) == 7
    assert slots.observe(2, 0.02, events=10, accepted=5) == 12
    assert slots.observe(2, 0.7) == 2  # both batches released after the hold


def test_a_plain_drop_is_held_and_a_growth_is_not_a_release() -> None:
    slots = SlotOccupancy(hold_s=0.6)
    slots.observe(10, 0.0)
    assert slots.observe(4, 0.1, events=6) == 10  # 6 closed: still held
    assert slots.observe(9, 0.2, events=5, accepted=5) == 15  # 5 new, none released
    assert slots.observe(9, 0.75) == 9


def test_unknown_accepts_count_every_event_as_a_release() -> None:
    """TLS: PJSIP reports no accept before the handshake, so the bound must not undercount
    even when one accept event took the whole backlog."""
    slots = SlotOccupancy(hold_s=0.6)
    slots.observe(3, 0.0)
    assert slots.observe(3, 0.01, events=8, accepts_known=False) == 11
    assert slots.observe(1, 0.02, events=1, accepts_known=False) == 1 + 8 + 2


def test_gate_pauses_at_half_the_table_and_resumes_with_hysteresis() -> None:
    thresholds = GateThresholds.for_capacity(64)
    assert (thresholds.pause_at, thresholds.resume_at) == (32, 24)
    gate = AcceptGate(thresholds)
    assert gate.decide(31) is None
    assert gate.decide(32) == "pause"
    assert gate.decide(40) is None and gate.paused
    assert gate.decide(25) is None
    assert gate.decide(24) == "resume"
    assert gate.decide(31) is None and gate.pauses == 1


def _listener() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


def _connects(port: int, source: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.4,
                                      source_address=(source, 0)):
            return True
    except OSError:
        return False


def test_a_paused_listener_drops_new_connections_except_from_trusted_sources() -> None:
    listener = _listener()
    port = listener.getsockname()[1]
    gate = ListenerGate([listener.fileno()], ["127.0.0.2/32", "not an address", "::1"])
    try:
        assert _connects(port, "127.0.0.3")
        gate.pause()
        assert not _connects(port, "127.0.0.3")  # the SYN is dropped: the client times out
        assert _connects(port, "127.0.0.2")  # the trusted front still gets in
        gate.resume()
        assert _connects(port, "127.0.0.3")
        gate.resume()  # resuming twice is harmless
    finally:
        listener.close()


@pytest.mark.parametrize(("networks", "source", "kept"), [
    ([], "10.0.0.1", False),
    (["10.0.0.0/8"], "10.200.3.4", True),
    (["10.0.0.0/8", "192.0.2.7/32"], "192.0.2.7", True),
    (["10.0.0.0/8", "192.0.2.7/32"], "192.0.2.8", False),
])
def test_trusted_filter_program_matches_networks(networks: list[str], source: str,
                                                 kept: bool) -> None:
    """Run the classic BPF program with a tiny interpreter over a fake IPv4 header."""
    program = trusted_only_filter([ipaddress.IPv4Network(n) for n in networks])
    src = int(ipaddress.IPv4Address(source))
    pc, acc = 0, 0
    while True:
        code, jt, jf, k = program[pc]
        if code == 0x20:
            acc = src
        elif code == 0x54:
            acc &= k
        elif code == 0x15:
            pc += jt if acc == k else jf
        elif code == 0x06:
            assert (k != 0) is kept
            return
        pc += 1
