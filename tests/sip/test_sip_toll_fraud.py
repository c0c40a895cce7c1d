"""Issue 11 item 2: the agent never acts on a caller's REFER or media redirection.

Before the fix a caller's REFER got 202 and the agent dialled the Refer-To target (an outbound
call that outlived the caller, invisible in /health, holding one of the four slots).
"""

from __future__ import annotations

import socket
import time

import pytest
from hostile import new_dialog, sdp
from rawsip import SipProbe
from test_sip_robustness import AGENT_SIP, call_until_answered

pytestmark = [pytest.mark.sip]


def _target_socket() -> socket.socket:
    """Where an attacker wants the agent to call: a UDP socket that records any INVITE."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    return sock


def _invites_at(sock: socket.socket, within_s: float) -> int:
    seen = 0
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            data, _ = sock.recvfrom(65535)
        except OSError:
            continue
        seen += data.startswith(b"INVITE")
    return seen


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_caller_refer_is_refused_and_nothing_is_dialled(start_agent, transport: str) -> None:
    agent = start_agent(sip=AGENT_SIP)
    target = _target_socket()
    port = target.getsockname()[1]
    dialog = new_dialog(agent.port, transport)
    answered = dialog.invite(sdp())
    assert answered is not None and answered.code == 200
    refer = dialog.request("REFER", extra=f"Refer-To: <sip:premium@127.0.0.1:{port}>")
    assert refer is not None and refer.code in (403, 405, 603), refer
    assert _invites_at(target, 2.0) == 0
    # Out of dialog too (no To tag): nothing is dialled.
    probe = SipProbe(agent.port, transport)
    probe.send(probe.request("REFER", call_id="refer-ood", cseq=1,
                             extra=f"Refer-To: <sip:premium@127.0.0.1:{port}>"))
    codes = [r.code for r in probe.responses(1.0)]
    assert codes and all(c >= 400 for c in codes), codes
    assert _invites_at(target, 1.0) == 0
    probe.close()
    bye = dialog.bye()
    assert bye is not None and bye.code == 200
    dialog.probe.close()
    target.close()
    assert agent.alive()
    assert call_until_answered(agent.port, transport) == 200


def test_reinvite_moving_media_to_another_address_is_refused(start_agent) -> None:
    agent = start_agent(sip=AGENT_SIP)
    dialog = new_dialog(agent.port)
    assert (first := dialog.invite(sdp())) is not None and first.code == 200
    moved = dialog.invite(sdp(session_c="127.0.0.9"))
    assert moved is not None and moved.code == 488, moved
    moved = dialog.request("UPDATE", body=sdp(media_c="192.0.2.50"))
    assert moved is not None and moved.code == 488, moved
    # Hold (0.0.0.0) and a re-offer to the same address are normal in-call requests.
    held = dialog.invite(sdp(session_c="0.0.0.0"))
    assert held is not None and held.code == 200, held
    again = dialog.invite(sdp())
    assert again is not None and again.code == 200, again
    assert (bye := dialog.bye()) is not None and bye.code == 200
    dialog.probe.close()


def test_invite_with_replaces_is_refused(start_agent) -> None:
    """An INVITE/Replaces would hand an existing call to whoever knows its dialog ids."""
    agent = start_agent(sip=AGENT_SIP)
    dialog = new_dialog(agent.port)
    assert (first := dialog.invite(sdp())) is not None and first.code == 200
    thief = SipProbe(agent.port)
    thief.send(thief.request(
        "INVITE", call_id="thief", cseq=1, body=thief.sdp(),
        extra=f"Replaces: {dialog.call_id};to-tag={dialog.to_tag};from-tag=probe"
              f"{dialog.call_id[:8]}"))
    codes = [r.code for r in thief.responses(1.0) if r.code >= 200]
    assert codes and codes[0] == 403, codes
    thief.close()
    assert (bye := dialog.bye()) is not None and bye.code == 200
    dialog.probe.close()
