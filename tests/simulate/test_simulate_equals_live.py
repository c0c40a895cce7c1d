"""`ivr simulate` and a live call hear the same audio the same way.

The same caller audio goes (a) through `ivr simulate`'s path (ivr.simulate.caller_events) and
(b) frame by frame into a real CallSession (tests/session/harness.py: the live session's code,
virtual clock, no SIP). The caller-side events the policy receives must be the same sequence:
same types, same verdicts and figures, same times (the live session stamps a frame's events
when the frame arrives, one frame before the frame's end that simulate counts). Runtime ~3 s.
"""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest
from sim_support import at_level

from ivr.config import load_settings
from ivr.media.wavio import Audio
from ivr.policy import events as e
from ivr.simulate import caller_events
from tests.session.harness import VirtualLine

CALLER_SIDE = (e.LineReport, e.SpeechStarted, e.SpeechEnded)
FRAME_S = 0.02


def _key(event: e.Event) -> tuple:
    fields = {k: v for k, v in asdict(event).items() if k != "t"}
    return (type(event).__name__, tuple(sorted(fields.items())))


def test_same_audio_same_events_in_simulate_and_in_a_live_session(speech_audio):
    rate = speech_audio.rate_hz
    speech = speech_audio.samples[: rate * 6]
    gap = np.zeros(rate * 2, dtype=np.int16)
    samples = np.concatenate(
        [gap[:rate], at_level(speech, rate, -22.0), gap, at_level(speech, rate, -50.0)]
    )
    settings = load_settings()

    simulated = caller_events(Audio(samples=samples, rate_hz=rate), settings)

    line = VirtualLine(settings, caller_audio=samples, rate_hz=rate)
    heard: list[e.Event] = []
    policy = line.session._policy
    handle = policy.handle

    def spy(event: e.Event):
        if isinstance(event, CALLER_SIDE):
            heard.append(event)
        return handle(event)

    policy.handle = spy  # type: ignore[method-assign]
    line.run()  # the live call goes on in silence after the audio until the policy ends it

    # Simulate stops 2 s of silence after the audio; the live call may have ended before.
    end_t = min(simulated[-1].t, heard[-1].t + FRAME_S)
    heard = [ev for ev in heard if ev.t + FRAME_S <= end_t + 1e-9]
    expected = [ev for ev in simulated if ev.t <= end_t + 1e-9]
    # The audio has speech, pauses, a quiet part: there is something to compare.
    assert {type(ev) for ev in expected} == set(CALLER_SIDE)
    assert {ev.verdict for ev in expected if isinstance(ev, e.LineReport)} >= {"ok", "silent"}
    assert [_key(ev) for ev in heard] == [_key(ev) for ev in expected]
    for live, sim in zip(heard, expected, strict=True):
        assert live.t + FRAME_S == pytest.approx(sim.t, abs=1e-6)
