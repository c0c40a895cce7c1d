"""Issue 11 item 8: what arrives from the wire cannot flood the log or forge log lines.

Before the fix 10 MB of TCP garbage produced 10.6 MB of agent log, and newlines inside the
garbage became lines of their own (a forged "call ... transferred" line, say). Runtime ~10 s.
"""

from __future__ import annotations

import random
import socket
import time
from pathlib import Path

import pytest
from test_sip_robustness import AGENT_SIP, call_until_answered

pytestmark = [pytest.mark.sip]

FORGED = b"\r\nFORGED-LINE ivr.session call 1 transferred\r\n\x1b[2J"
MAX_LOG_GROWTH_BYTES = 200_000


def _garbage(rng: random.Random, size: int) -> bytes:
    """SIP-looking junk: start lines, forged log lines, binary, never a complete message."""
    parts = []
    while sum(map(len, parts)) < size:
        parts.append(rng.choice([
            b"INVITE sip:x SIP/2.0\r\nVia: " + bytes(rng.randrange(256) for _ in range(40)),
            FORGED,
            b"SIP/2.0 200 OK" + FORGED + b"\r\n\r\n",
            bytes(rng.randrange(256) for _ in range(rng.randrange(100, 3000))),
            b"X" * 3000 + b"\r\n\r\n",
        ]))
    return b"".join(parts)[:size]


def test_ten_megabytes_of_tcp_garbage_give_a_bounded_log(start_agent) -> None:
    agent = start_agent(sip=AGENT_SIP)
    log = Path(agent.log.name)
    before = log.stat().st_size
    rng = random.Random(118)
    sent = 0
    while sent < 10_000_000:
        chunk = _garbage(rng, 500_000)
        try:
            with socket.create_connection(("127.0.0.1", agent.port), timeout=5) as s:
                s.sendall(chunk)
        except OSError:
            pass  # the agent may close a connection mid-garbage; the bytes still count
        sent += len(chunk)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.sendto(chunk[:1400], ("127.0.0.1", agent.port))
    time.sleep(1.0)
    assert agent.alive()
    assert call_until_answered(agent.port, "tcp") == 200
    text = log.read_bytes()[before:]
    assert len(text) < MAX_LOG_GROWTH_BYTES, f"{len(text)} bytes of log for {sent} bytes sent"
    lines = text.split(b"\n")
    assert not [line for line in lines if line.lstrip(b"\r").startswith(b"FORGED")]
    assert b"\x1b" not in text
