"""Pure parts of the media lock and the DTMF gate (no SIP needed)."""

from __future__ import annotations

import socket
import struct

from hypothesis import given
from hypothesis import strategies as st

from ivr.sip.bpf import attach_filter
from ivr.sip.dtmf import FLAG_END, FLAG_UPDATE, DtmfGate
from ivr.sip.medialock import parse_address, source_filter


def test_a_whole_press_is_one_digit() -> None:
    gate = DtmfGate()
    got = [gate.feed("5", 1000, d, f) for d, f in
           ((20, 0), (60, FLAG_UPDATE), (100, FLAG_UPDATE), (160, FLAG_UPDATE | FLAG_END))]
    assert got == [None, None, None, "5"]


def test_lone_end_packets_short_or_endless_presses_are_not_digits() -> None:
    gate = DtmfGate()
    assert gate.feed("1", 50, 200, FLAG_END) is None  # an end with no start
    assert gate.feed("2", 60, 10, 0) is None
    assert gate.feed("2", 60, 20, FLAG_UPDATE | FLAG_END) is None  # 20 ms: not a press
    assert gate.feed("3", 70, 20, 0) is None
    assert gate.feed("3", 70, 20_000, FLAG_UPDATE | FLAG_END) is None  # 20 s: not a press
    assert gate.feed("4", 80, 20, 0) is None
    assert gate.feed("4", 81, 100, FLAG_UPDATE | FLAG_END) is None  # another event's end
    assert gate.feed("x", 90, 20, 0) is None


@given(st.lists(st.tuples(st.sampled_from("0123456789*#ABCD"), st.integers(0, 2**32),
                          st.integers(0, 2**16), st.integers(0, 3)), max_size=60))
def test_a_digit_needs_a_start_and_an_end_of_one_event(events) -> None:
    gate = DtmfGate()
    previous = None
    for digit, stamp, duration, flags in events:
        out = gate.feed(digit, stamp, duration, flags)
        if out is not None:
            assert flags & FLAG_END and flags & FLAG_UPDATE and out == digit
            assert previous is not None and previous[:2] == (digit, stamp)
            assert 40 <= duration <= 10_000
        previous = (digit, stamp)


def test_parse_address() -> None:
    assert parse_address("127.0.0.1:4000") == ("127.0.0.1", 4000)
    assert parse_address("[2001:db8::1]:5") == ("2001:db8::1", 5)
    assert parse_address("0.0.0.0:4000") is None
    assert parse_address("") is None and parse_address("host:1") is None


def test_source_filter_drops_other_senders_in_the_kernel() -> None:
    """The BPF program on a real socket: 127.0.0.1 gets through, 127.0.0.5 does not."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(0.3)
    attach_filter(receiver.fileno(), source_filter(["127.0.0.1", "192.0.2.1"]))
    for host, payload in (("127.0.0.5", b"stranger"), ("127.0.0.1", b"caller")):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.bind((host, 0))
            sender.sendto(payload, receiver.getsockname())
    data, (ip, _) = receiver.recvfrom(100)
    assert (data, ip) == (b"caller", "127.0.0.1")
    receiver.close()


def test_source_filter_program_shape() -> None:
    program = source_filter(["10.0.0.1"])
    assert program[0][3] == (-0x100000 + 12) & 0xFFFFFFFF
    assert program[1] == (0x15, 1, 0, struct.unpack("!I", socket.inet_aton("10.0.0.1"))[0])
