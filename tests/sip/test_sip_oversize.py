"""Issue 11 item 11: a SIP request over 4,000 bytes to an agent without the front.

PJSIP reads at most 4,000 bytes (``PJSIP_MAX_PKT_LEN``, compiled into the wheel) and dropped a
longer datagram unanswered: a legitimate INVITE offering many codecs was lost and its sender
retransmitted into silence. Now the kernel steers datagrams over 4,000 bytes to a socket of
our own on the same port (``ivr/sip/oversize.py``), which answers 513 Message Too Large, so the
sender can retry over TCP or trim its offer (RFC 3261 18.1.1). Runtime ~8 s.
"""

from __future__ import annotations

import uuid

import pytest
from rawsip import SipProbe
from test_sip_robustness import AGENT_SIP

from ivr.sip.oversize import OVERSIZE_BYTES, response_513

pytestmark = [pytest.mark.sip]


def _codec_heavy_sdp(probe: SipProbe, size: int) -> str:
    sdp = probe.sdp()
    filler = "".join(f"a=fmtp:{96 + i % 30} mode-set=0,2,4,7;octet-align=1;x-pad={'x' * 40}\r\n"
                     for i in range(size // 80))
    return sdp + filler


def test_an_invite_over_4000_bytes_gets_513_and_calls_go_on(start_agent) -> None:
    agent = start_agent(sip=AGENT_SIP)
    probe = SipProbe(agent.port, "udp")
    try:
        call_id = uuid.uuid4().hex
        big = probe.request("INVITE", call_id=call_id, cseq=1, body=_codec_heavy_sdp(probe, 5200))
        assert len(big) > OVERSIZE_BYTES
        probe.send(big)
        answers = [r for r in probe.responses(3.0) if r.code >= 200]
        assert [r.code for r in answers] == [513], answers
        assert call_id in answers[0].raw.decode(errors="replace")
        probe.send(big)  # a retransmission is answered again, never passed to PJSIP
        assert [r.code for r in probe.responses(2.0) if r.code >= 200] == [513]
        answered = probe.call()  # an ordinary INVITE still reaches PJSIP
        assert answered is not None and answered.code == 200
    finally:
        probe.close()
    assert agent.alive()


def test_513_copies_the_transaction_headers_and_ignores_what_is_not_a_request() -> None:
    request = (b"INVITE sip:ivr@127.0.0.1 SIP/2.0\r\n"
               b"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa\r\n"
               b"v: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKb\r\n"
               b"From: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:ivr@127.0.0.1>\r\n"
               b"i: abc@192.0.2.1\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n" + b"x" * 5000)
    answer = response_513(request, "ivr-test").decode()
    head, _, _ = answer.partition("\r\n\r\n")
    lines = head.split("\r\n")
    assert lines[0] == "SIP/2.0 513 Message Too Large"
    assert "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa" in lines
    assert "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKb" in lines
    assert lines.index("Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa") < \
        lines.index("Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKb")
    assert "Call-ID: abc@192.0.2.1" in lines and "CSeq: 7 INVITE" in lines
    assert any(line.startswith("To: <sip:ivr@127.0.0.1>;tag=") for line in lines)
    assert "Content-Length: 0" in lines
    assert response_513(b"SIP/2.0 200 OK\r\nVia: x\r\n\r\n" + b"y" * 5000, "s") is None
    assert response_513(b"ACK sip:x SIP/2.0\r\nVia: x\r\nCall-ID: 1\r\nCSeq: 1 ACK\r\n\r\n", "s") \
        is None
    assert response_513(b"\xff" * 5000, "s") is None
    assert response_513(b"INVITE sip:x SIP/2.0\r\nFrom: a\r\n\r\n", "s") is None  # no Via


def test_a_second_agent_on_a_port_in_use_is_refused(start_agent) -> None:
    """PJSIP's UDP socket now shares its port with ours (SO_REUSEPORT); that must not let a
    second agent of the same user bind the same port and silently split the callers."""
    udp_only = {**AGENT_SIP, "transports": ["udp"]}  # a TCP listener would refuse on its own
    first = start_agent(sip=udp_only)
    second = start_agent(sip={**udp_only, "port": first.port}, wait=False)
    error = second.wait_for("error", timeout_s=20.0)
    assert "cannot listen" in error["message"] and str(first.port) in error["message"], error
    second.proc.wait(10)
    second.expect_exit = 3
    assert first.alive()
