"""A longer media-port frame (sip.port_frame_ms, issue 16) is analysed as 20 ms frames."""

from __future__ import annotations

import numpy as np

from ivr.config import load_settings
from ivr.session.inbox import FrameIn
from ivr.sip.config import SipConfig, SipConfigError
from tests.session.harness import VirtualLine


def test_a_100_ms_frame_is_five_analysis_frames_and_the_same_verdicts():
    settings = load_settings()
    rng = np.random.default_rng(7)
    audio = (rng.standard_normal(8000 * 3) * 3000).astype(np.int16)  # 3 s of loud noise
    per_20, per_100 = VirtualLine(settings), VirtualLine(settings)
    for line in (per_20, per_100):
        line.session.begin()
    for i in range(0, len(audio), 160):
        per_20.session.handle(FrameIn(audio[i:i + 160].tobytes()))
    for i in range(0, len(audio), 800):
        per_100.session.handle(FrameIn(audio[i:i + 800].tobytes()))
    a, b = per_20.session._translator, per_100.session._translator
    assert a.frames == b.frames == 150
    assert a.verdict_frames == b.verdict_frames
    per_100.session.handle(FrameIn(audio[:123].tobytes()))  # not a whole number of frames
    assert b.frames == 150


def test_port_frame_must_be_a_multiple_of_the_rtp_frame():
    assert SipConfig(port_frame_ms=100).bytes_per_port_frame == 1600
    for bad in (30, 120):
        try:
            SipConfig(port_frame_ms=bad)
        except SipConfigError as exc:
            assert "sip.port_frame_ms" in str(exc)
        else:
            raise AssertionError(f"port_frame_ms={bad} accepted")
