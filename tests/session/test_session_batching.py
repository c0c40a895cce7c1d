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


def test_a_100_ms_frame_gives_the_same_call_with_a_recogniser():
    """Talk, pauses and a quiet tail in 100 ms blocks: the same policy steps in the same order
    and the same audio streamed to the recogniser as in 20 ms frames (the batched analysis is
    exact, tests/media/test_batched_frames.py; this is the session's side of it)."""
    from ivr.media.resample import resample
    from ivr.media.wavio import read_wav
    from tests.media.conftest import SPEECH_WAV

    if not SPEECH_WAV.exists():
        import pytest

        pytest.skip("pocketsphinx-testdata is not installed")
    a = read_wav(SPEECH_WAV)
    talk = resample(a.samples, a.rate_hz, 8000)
    pause = np.zeros(8000 * 2, np.int16)
    audio = np.concatenate([pause, talk, pause, talk, pause, talk // 20, pause])
    audio = audio[: len(audio) // 800 * 800]
    settings = load_settings()
    lines = []
    for step in (160, 800):
        line = VirtualLine(settings, transcripts=["我要投诉", "是的", ""])
        line.session.begin()
        for i in range(0, len(audio), step):
            line.session.handle(FrameIn(audio[i:i + step].tobytes()))
            line._drain()
        lines.append(line)
    per_20, per_100 = lines
    assert per_20.recognizer is not None and per_100.recognizer is not None
    assert per_20.recognizer.fed_bytes == per_100.recognizer.fed_bytes > 0
    assert per_20.session.timeline == per_100.session.timeline
    assert sum(1 for _, kind, text in per_20.session.timeline if "SpeechEnded" in text) >= 2
