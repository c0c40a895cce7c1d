"""Garbage against the REAL agent (`ivr serve`): every RFC 4475 torture message, binary junk and
a SUBSCRIBE with Expires: 0; then a valid call is answered normally.

The raw-SIP probe and the RFC's lists of invalid messages come from the SIP layer's own tests
(tests/sip), which run the same messages against a bare test agent."""

from __future__ import annotations

import random
import socket
import sys
import time
import uuid
from pathlib import Path

import pytest
from e2ekit import OPEN_HOURS, place_call

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sip"))
from rawsip import SipProbe
from test_sip_robustness import INVALID, MUST_FAIL, torture_files

pytestmark = [pytest.mark.sip, pytest.mark.slow]

REPLY_WAIT_S = 0.3
VALID_CALL_WITHIN_S = 45.0  # valid torture INVITEs hold call slots until their ACK times out


def session_count(agent) -> int:
    return int(agent.health()["calls"])


def test_torture_junk_and_subscribe_then_a_normal_call(start_agent, e2e_env, tmp_path) -> None:
    agent = start_agent(overrides=OPEN_HOURS)
    files = torture_files()
    bad = [p for p in files if p.stem in INVALID or p.stem in MUST_FAIL]
    good = [p for p in files if p not in bad]
    assert len(bad) == len(INVALID | MUST_FAIL), sorted(INVALID | MUST_FAIL)

    # 1. Messages a parser or UAS must refuse, first (while every call slot is free, so a wrong
    # 2xx to an INVITE shows as a session). UDP: exact bytes; replies go to the message's own
    # Via, so the proof is that no call session starts. TCP: the replies come back to us.
    answered: list[str] = []
    for path in bad:
        before = session_count(agent)
        probe = SipProbe(agent.port, "udp")
        probe.send(path.read_bytes())
        codes = [r.code for r in probe.responses(REPLY_WAIT_S)]
        probe.close()
        if any(200 <= c < 300 for c in codes) or session_count(agent) > before:
            answered.append(f"udp {path.stem} {codes}")
        assert agent.proc.alive(), f"agent died on {path.stem} over udp:\n{agent.proc.tail()}"
    for path in bad:
        probe = SipProbe(agent.port, "tcp")
        probe.send(path.read_bytes())
        codes = [r.code for r in probe.responses(REPLY_WAIT_S)]
        probe.close()
        if any(200 <= c < 300 for c in codes):
            answered.append(f"tcp {path.stem} {codes}")
        assert agent.proc.alive(), f"agent died on {path.stem} over tcp:\n{agent.proc.tail()}"

    # 2. The rest of RFC 4475, binary junk, and a SUBSCRIBE with Expires: 0 (PJSIP 2.15's
    # use-after-free path; the agent must refuse it).
    for path in good:
        probe = SipProbe(agent.port, "udp")
        probe.send(path.read_bytes())
        probe.responses(0.05)
        probe.close()
    rng = random.Random(4475)
    junk = [bytes(rng.randrange(256) for _ in range(n)) for n in (1, 17, 512, 1400, 8000)]
    junk += [b"\x00" * 60000, b"INVITE\r\n\r\n", b"SIP/2.0 200 OK\r\n\r\n", b"\r\n\r\n" * 100]
    for blob in junk:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(blob, ("127.0.0.1", agent.port))
    probe = SipProbe(agent.port, "udp")
    probe.send(probe.request("SUBSCRIBE", call_id=uuid.uuid4().hex, cseq=1,
                             extra="Event: presence\r\nExpires: 0"))
    subscribe_codes = [r.code for r in probe.responses(1.0)]
    probe.close()
    assert agent.proc.alive(), agent.proc.tail()
    assert subscribe_codes and all(c >= 400 for c in subscribe_codes), subscribe_codes

    # 3. A real caller is answered normally (retrying while torture INVITEs hold the slots).
    deadline = time.monotonic() + VALID_CALL_WITHIN_S
    while True:
        start = len(agent.proc.lines)
        result = place_call(agent.uri, e2e_env, max_s=4.0)
        if any(e.get("event") == "answered" for e in result.events):
            break
        assert time.monotonic() < deadline, f"no answer within {VALID_CALL_WITHIN_S} s:\n" + (
            result.output[-2000:])
        time.sleep(1.0)
    assert result.first("disconnected")["by"] == "us"
    # `ivr call` dials as user "caller"; the agent's line shows it masked.
    from ivr.masking import mask_number

    caller = f" from {mask_number('caller')} "
    line = agent.proc.wait_for(lambda ln: ln.startswith("call ") and caller in ln, 20, start)
    assert line is not None, agent.proc.tail()
    timeline = agent.timeline(line)
    assert timeline["prompts_played"][:1] == ["greeting"], timeline["prompts_played"]
    assert agent.proc.alive()
    assert not answered, f"2xx (or a call) for messages that must be refused: {answered}"
