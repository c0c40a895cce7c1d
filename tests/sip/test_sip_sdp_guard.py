"""Issue 11 item 1: an SDP the media layer cannot take is refused (488) before PJSIP parses it.

PJSIP 2.15.1 aborts the process on an SDP connection address of 254+ characters (``c=`` at
session or media level, ``a=rtcp:`` with an address), in an INVITE, a re-INVITE or an UPDATE.
Every case here killed the agent before the SDP check.
"""

from __future__ import annotations

import pytest
from hostile import new_dialog, sdp
from test_sip_robustness import AGENT_SIP, call_until_answered

pytestmark = [pytest.mark.sip]

LONG_HOST = "a" * 254
LONG_FQDN = ".".join(["b" * 60] * 4) + ".example"  # 253 + ... > 253 characters

BAD_OFFERS = {
    "session c= 254 chars": sdp(session_c=LONG_HOST),
    "media c= 254 chars": sdp(media_c=LONG_HOST),
    "a=rtcp with a 254-char address": sdp(extra=f"a=rtcp:40001 IN IP4 {LONG_HOST}"),
    "c= FQDN over 253": sdp(session_c=LONG_FQDN),
    "c= not a host": sdp(session_c="%s%s%n"),
    "port out of range": sdp().replace("m=audio 40000", "m=audio 99999"),
    "too many m= lines": sdp() + "m=audio 40002 RTP/AVP 0\r\n" * 9,
    "too many attributes": sdp() + "a=x-junk:1\r\n" * 70,
    "2 KB line": sdp(extra="a=x-junk:" + "z" * 2000),
}


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_bad_offers_get_488_and_agent_keeps_answering(start_agent, transport: str) -> None:
    agent = start_agent(sip=AGENT_SIP)
    for name, body in BAD_OFFERS.items():
        dialog = new_dialog(agent.port, transport)
        response = dialog.invite(body, timeout_s=3.0)
        dialog.probe.close()
        assert agent.alive(), f"agent died on {name} over {transport}"
        assert response is not None and response.code == 488, (name, response)
    assert call_until_answered(agent.port, transport) == 200


@pytest.mark.parametrize("method", ["INVITE", "UPDATE"])
def test_bad_offer_inside_a_call_is_refused_and_the_call_goes_on(start_agent,
                                                                 method: str) -> None:
    agent = start_agent(sip=AGENT_SIP)
    dialog = new_dialog(agent.port)
    first = dialog.invite(sdp())
    assert first is not None and first.code == 200
    bad = sdp(media_c=LONG_HOST)
    response = dialog.invite(bad) if method == "INVITE" else dialog.request(method, body=bad)
    assert agent.alive(), f"agent died on a re-{method}"
    assert response is not None and response.code == 488
    bye = dialog.bye()  # the call itself is untouched
    assert bye is not None and bye.code == 200
    dialog.probe.close()
    assert call_until_answered(agent.port) == 200


def test_253_char_host_name_is_still_a_valid_offer(start_agent) -> None:
    """The limit is the RFC's, not lower: a 253-character host name passes the check."""
    agent = start_agent(sip=AGENT_SIP)
    host = ".".join(["c" * 63] * 3) + "." + "d" * 61
    assert len(host) == 253
    dialog = new_dialog(agent.port)
    response = dialog.invite(sdp(media_c=host))
    dialog.probe.close()
    assert agent.alive()
    # PJSIP itself then decides (the name does not resolve here: its own 488), not our check.
    assert response is not None and response.reason != "Bad Connection Address"
