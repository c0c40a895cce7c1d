"""Issue 11 item 3: media is locked to the negotiated caller; nobody else injects audio or
digits, or steals the agent's audio.

Before the fix, RTP from another address was accepted while the caller's RTP paused: an
injected RFC 2833 "0" became a digit (it opened a ticket and started a transfer), and the agent
then sent its audio to the injector. Runtime ~12 s.
"""

from __future__ import annotations

import random
import socket
import time

import pytest
from hostile import new_dialog, sdp
from rtpkit import PCMU_SILENCE, RtpPeer, digit_packets, rtp
from test_sip_robustness import AGENT_SIP

pytestmark = [pytest.mark.sip]

INJECTOR_HOST = "127.0.0.5"


def _digits(agent) -> list[str]:
    return [e["digit"] for e in agent.drain() if e["event"] == "dtmf"]


def test_injected_rtp_and_digits_from_elsewhere_are_ignored(start_agent) -> None:
    agent = start_agent(sip=AGENT_SIP, log_level="INFO")
    caller = RtpPeer()
    dialog = new_dialog(agent.port)
    answered = dialog.invite(sdp(rtp_port=caller.port))
    assert answered is not None and answered.code == 200
    agent_rtp = ("127.0.0.1", dialog.rtp_port())
    caller.start(agent_rtp)
    agent.wait_for("media")
    time.sleep(0.5)
    assert caller.received > 5  # the agent's tone reaches the caller

    injector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    injector.bind((INJECTOR_HOST, 0))
    injector.settimeout(0.05)
    caller.sending.clear()  # the caller pauses: the moment the old code let others in
    ssrc = random.getrandbits(32)
    for round_ in range(5):
        for packet in digit_packets(0, 1000 + 20 * round_, 8000 * round_, ssrc):
            injector.sendto(packet, agent_rtp)
        for i in range(30):  # enough packets for any "learn the new source" rule
            injector.sendto(rtp(0, 2000 + 30 * round_ + i, 160 * i, ssrc, PCMU_SILENCE),
                            agent_rtp)
        time.sleep(0.1)
    time.sleep(0.3)
    before = caller.received
    caller.sending.set()
    time.sleep(0.6)
    stolen = 0
    try:
        while True:
            injector.recvfrom(2048)
            stolen += 1
    except OSError:
        pass
    injector.close()
    assert _digits(agent) == []  # nothing injected became a digit
    assert stolen == 0  # the agent never sent its audio to the injector
    assert caller.received > before + 10  # ...and still sends it to the caller

    # The caller's own digit still works: the lock is not a wall.
    caller.sending.clear()  # a phone sends events instead of audio while the key is down
    time.sleep(0.05)
    seq, ts = caller.next_seq_ts(7, 1280)
    for packet in digit_packets(5, seq, ts, caller.ssrc):
        caller.send(packet)
        time.sleep(0.02)
    caller.sending.set()
    assert agent.wait_for("dtmf", timeout_s=3)["digit"] == "5"
    assert dialog.bye() is not None
    dialog.probe.close()
    caller.close()


def test_random_event_packets_from_the_caller_are_not_digits(start_agent) -> None:
    """Garbage with payload type 101 (random event, flags, duration) is not a key press."""
    agent = start_agent(sip=AGENT_SIP)
    caller = RtpPeer()
    dialog = new_dialog(agent.port)
    answered = dialog.invite(sdp(rtp_port=caller.port))
    assert answered is not None and answered.code == 200
    caller.start(("127.0.0.1", dialog.rtp_port()))
    agent.wait_for("media")
    time.sleep(0.3)
    rng = random.Random(2833)
    for _ in range(400):
        seq, ts = caller.next_seq_ts(1, rng.randrange(0, 400))
        payload = bytes(rng.randrange(256) for _ in range(4))
        caller.send(rtp(101, seq, ts if rng.random() < 0.5 else rng.getrandbits(32),
                        caller.ssrc, payload, marker=rng.random() < 0.3))
        time.sleep(0.005)
    time.sleep(0.5)
    assert _digits(agent) == []
    assert dialog.bye() is not None
    dialog.probe.close()
    caller.close()


def test_a_trusted_pbx_moving_the_media_moves_the_lock(start_agent) -> None:
    """A PBX (trusted source) re-INVITEs the media to the phone: the lock follows it."""
    agent = start_agent(sip={**AGENT_SIP, "trusted_sources": ["127.0.0.1"]})
    pbx = RtpPeer()
    phone = RtpPeer("127.0.0.6")
    dialog = new_dialog(agent.port)
    answered = dialog.invite(sdp(rtp_port=pbx.port))
    assert answered is not None and answered.code == 200
    agent_rtp = ("127.0.0.1", dialog.rtp_port())
    pbx.start(agent_rtp)
    agent.wait_for("media")
    moved = dialog.invite(sdp(rtp_port=phone.port, session_c="127.0.0.6"))
    assert moved is not None and moved.code == 200
    pbx.sending.clear()
    phone.start(agent_rtp)
    time.sleep(0.5)
    phone.sending.clear()
    time.sleep(0.05)
    seq, ts = phone.next_seq_ts(7, 1280)
    for packet in digit_packets(7, seq, ts, phone.ssrc):
        phone.send(packet)
        time.sleep(0.02)
    assert agent.wait_for("dtmf", timeout_s=3)["digit"] == "7"
    assert phone.received > 5  # the agent's audio now goes to the phone
    assert dialog.bye() is not None
    dialog.probe.close()
    pbx.close()
    phone.close()
