"""What the agent's SDP tells callers: sip.public_address in c= (NAT, a container's published
address) while RTP binds to the media address, and the RTP port within sip.rtp_port_min..max.
Real pjsua2 agent, raw SIP INVITE over loopback; ~3 s."""

from __future__ import annotations

import re

from rawsip import SipProbe

PUBLIC = "192.0.2.55"  # TEST-NET-1: only ever written into SDP here, never sent to
LOW, HIGH = 42100, 42107


def test_sdp_advertises_the_public_address_and_a_port_in_the_range(start_agent) -> None:
    agent = start_agent(mode="tone", sip={"public_address": PUBLIC, "rtp_port_min": LOW,
                                          "rtp_port_max": HIGH})
    probe = SipProbe(agent.port, "udp")
    try:
        answer = probe.call(timeout_s=5.0)
    finally:
        probe.close()
    assert answer is not None and answer.code == 200, answer
    sdp = answer.raw.split(b"\r\n\r\n", 1)[1].decode()
    assert re.search(rf"^c=IN IP4 {re.escape(PUBLIC)}\r?$", sdp, re.M), sdp
    port = int(re.search(r"^m=audio (\d+) ", sdp, re.M).group(1))  # type: ignore[union-attr]
    assert LOW <= port <= HIGH, sdp
