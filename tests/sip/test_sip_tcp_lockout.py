"""Issue 11 item 7: idle and half-sent TCP connections cannot lock TCP callers out.

Before the fix 62 idle or half-sent TCP connections were never closed, and then every TCP
caller got 503 (PJSIP's socket table was full). Runtime ~15 s.
"""

from __future__ import annotations

import socket
import time

import pytest
from rawsip import SipProbe
from test_sip_robustness import AGENT_SIP

pytestmark = [pytest.mark.sip]

HOLDER_HOST = "127.0.0.3"  # the attacker holding connections; the caller is 127.0.0.1
HALF_SENT = b"INVITE sip:ivr@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.3:5;branch=z9hG4bK1\r\n"


def _hold(port: int, count: int, host: str = HOLDER_HOST) -> list[socket.socket]:
    held = []
    for i in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=2,
                                            source_address=(host, 0))
        except OSError:
            continue
        if i % 2:
            sock.sendall(HALF_SENT)  # a header that never ends
        held.append(sock)
    return held


def _tcp_call(port: int) -> int:
    try:
        probe = SipProbe(port, "tcp")
    except OSError:
        return 0
    try:
        response = probe.call(timeout_s=3.0)
    finally:
        probe.close()
    return response.code if response else 0


def _closed_by_agent(sock: socket.socket) -> bool:
    sock.settimeout(0.01)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def test_idle_and_half_sent_connections_do_not_lock_tcp_callers_out(start_agent) -> None:
    agent = start_agent(sip={**AGENT_SIP, "tcp_idle_timeout_s": 3.0})
    held = _hold(agent.port, 70)
    time.sleep(1.5)
    started = time.monotonic()
    codes = []
    while time.monotonic() - started < 8.0:
        codes.append(_tcp_call(agent.port))
        if codes[-1] == 200:
            break
        time.sleep(0.5)
    assert codes[-1] == 200, codes
    assert time.monotonic() - started < 5.0, codes
    time.sleep(4.0)  # past the idle timeout: every half-sent connection is gone (the silent
    # ones never reached PJSIP at all: TCP_DEFER_ACCEPT keeps them in the kernel)
    half_sent = held[1::2]
    assert all(_closed_by_agent(s) for s in half_sent), sum(map(_closed_by_agent, half_sent))
    for sock in held:
        sock.close()
    assert agent.alive()


def test_a_tcp_caller_in_a_call_is_not_cut_by_the_idle_timeout(start_agent) -> None:
    agent = start_agent(sip={**AGENT_SIP, "tcp_idle_timeout_s": 2.0, "no_media_timeout_s": 0})
    probe = SipProbe(agent.port, "tcp")
    answered = probe.call(hang_up=False)
    assert answered is not None and answered.code == 200
    time.sleep(4.5)  # idle on SIP, but it carries a call
    assert not _closed_by_agent(probe.sock)
    probe.close()


def _churn(port: int, seconds: float, payload: bytes) -> int:
    count = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if payload:
                    sock.sendall(payload)
            count += 1
        except OSError:
            pass
    return count


# KNOWN DEFECT, open (issue 11 stays open for it): a FIN counts as data for TCP_DEFER_ACCEPT, so
# connections that open and close at once still reach PJSIP, and a burst of them makes pjlib's
# 64-slot ioqueue abort the process (ioqueue_select.c:386). Measured at the end of session 2: the
# agent aborted in about 1 run of 3 even alone. The test runs every time and reports XPASS/XFAIL;
# remove the mark with the fix.
@pytest.mark.xfail(reason="known abort under TCP connect/close churn (issue 11)", strict=False)
def test_connect_and_close_churn_does_not_abort_the_agent(start_agent) -> None:
    """Connections opened and closed at once (no data) never reach PJSIP (TCP_DEFER_ACCEPT):
    before, ~70 of them within half a second used up PJSIP's 64 socket slots and the agent
    aborted on an assertion."""
    agent = start_agent(sip=AGENT_SIP)
    opened = _churn(agent.port, 3.0, b"")
    assert agent.alive(), opened
    started = time.monotonic()
    codes = [_tcp_call(agent.port)]
    while codes[-1] != 200 and time.monotonic() - started < 15.0:
        codes.append(_tcp_call(agent.port))
    print(f"churn: {opened} connections; TCP call answered after "
          f"{time.monotonic() - started:.1f} s ({codes})")
    assert codes[-1] == 200, codes

