"""Issue 11 item 6: INVITEs that are answered and never ACKed cannot take the lines.

Before the fix four never-ACKed INVITEs every 3.5 s (one packet a second) held all four call
slots: two of three real calls got 486. Now one source holds at most two unconfirmed calls, and
a source whose calls keep going un-ACKed is refused (403) for a while. Runtime ~16 s.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from rawsip import SipProbe

pytestmark = [pytest.mark.sip, pytest.mark.slow]

FLOOD_HOST = "127.0.0.2"  # the attacker; real callers come from 127.0.0.1


def _flood(port: int, stop: threading.Event, codes: list[tuple[int, str]]) -> None:
    probe = SipProbe(port, "udp", "127.0.0.1", local_host=FLOOD_HOST)
    try:
        while not stop.is_set():
            for _ in range(4):
                probe.send(probe.request("INVITE", call_id=uuid.uuid4().hex, cseq=1,
                                         body=probe.sdp()))
            deadline = time.monotonic() + 3.5
            while not stop.is_set() and time.monotonic() < deadline:
                codes += [(r.code, r.headers.get("call-id", "")) for r in probe.responses(0.2)
                          if r.code >= 200]
    finally:
        probe.close()


def test_ackless_flood_does_not_take_the_lines(start_agent) -> None:
    agent = start_agent()  # default timers: ACK 4 s, transaction 8 s
    stop = threading.Event()
    flood_codes: list[tuple[int, str]] = []
    flooder = threading.Thread(target=_flood, args=(agent.port, stop, flood_codes))
    flooder.start()
    real: list[int] = []
    try:
        time.sleep(0.3)  # the first burst is in
        deadline = time.monotonic() + 14.0
        while time.monotonic() < deadline:
            probe = SipProbe(agent.port)
            response = probe.call(timeout_s=3.0)
            probe.close()
            real.append(response.code if response else 0)
            time.sleep(0.7)
    finally:
        stop.set()
        flooder.join()
    assert real and all(code == 200 for code in real), f"{real} {flood_codes}"
    answered = {call_id for code, call_id in flood_codes if code == 200}
    assert len(answered) <= 6, flood_codes  # the flood got a few answers at most...
    assert 403 in {code for code, _ in flood_codes}, flood_codes  # ...then was refused outright
    assert agent.alive()
