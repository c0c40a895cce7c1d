"""Rapid call churn (INVITE, ACK, BYE as fast as possible) must not exhaust PJSIP's socket
table: pjmedia keeps each closed socket for 500 ms before reuse and aborts the process on an
assertion when none is free (found by the PROTOS run, issue 11). Runtime ~6 s.
"""

from __future__ import annotations

import time
import uuid

import pytest
from rawsip import SipProbe
from test_sip_robustness import AGENT_SIP, call_until_answered

pytestmark = [pytest.mark.sip]


def test_fast_call_churn_is_rate_limited_not_fatal(start_agent) -> None:
    agent = start_agent(sip={**AGENT_SIP, "unconfirmed_per_source_count": 4,
                             "ack_strikes_count": 1000})
    probe = SipProbe(agent.port)
    codes: dict[int, int] = {}
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline and agent.alive():
        call_ids = [uuid.uuid4().hex for _ in range(4)]
        for call_id in call_ids:
            probe.send(probe.request("INVITE", call_id=call_id, cseq=1, body=probe.sdp()))
        for response in probe.responses(0.005):
            if response.code < 200 or not response.headers.get("cseq", "").endswith("INVITE"):
                continue
            codes[response.code] = codes.get(response.code, 0) + 1
            if response.code == 200:
                call_id = response.headers["call-id"]
                tag = response.headers.get("to", "").partition(";tag=")[2].split(";")[0]
                probe.send(probe.request("ACK", call_id=call_id, cseq=1, to_tag=tag))
                probe.send(probe.request("BYE", call_id=call_id, cseq=2, to_tag=tag))
    probe.close()
    assert agent.alive(), f"agent aborted under call churn; answers {codes}"
    assert codes.get(200, 0) > 10 and codes.get(503, 0) > 0, codes
    assert call_until_answered(agent.port, within_s=10.0) == 200
