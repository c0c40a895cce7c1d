"""Issue 13 defect 7: barge-in needs evidence of speech.

A phrase is cut only by speech that has lasted dialogue.barge_in_min_speech_s while the line
monitor, after one full window of the line (line.window_s), calls it clear (verdict ok). Line
noise at 0.1 s, before the monitor knows the line, must not cut the greeting.
"""

from __future__ import annotations

import pytest
from fakes import line
from policy_support import length, run

from ivr.config import load_settings
from ivr.policy import actions as a
from ivr.policy import events as e


def _talk(t0: float, t1: float, transcript: str = "", confidence: float | None = None):
    return [
        e.SpeechStarted(t=t0),
        *line(t0, t1, "ok"),
        e.SpeechEnded(t=t1, duration_s=t1 - t0, transcript=transcript, confidence=confidence),
    ]


def test_line_noise_at_the_start_does_not_cut_the_greeting(settings):
    # A click-and-hiss line: the VAD fires at 0.08 s; the monitor says "ok" until it has a
    # noise floor, then "noisy".
    noise = [e.SpeechStarted(t=0.08), *line(0.1, 1.0, "ok"), *line(1.0, 6.0, "noisy")]
    noise.append(e.SpeechEnded(t=6.0, duration_s=5.92))
    call = run(settings, noise)
    assert not [t for t, _ in call.actions(a.StopPlayback) if t < 1.0]
    assert (pytest.approx(length(settings, "greeting")), "greeting") in call.finished()


def test_a_short_sound_does_not_cut_a_phrase(settings):
    call = run(settings, _talk(3.0, 3.0 + 0.1))
    assert not call.actions(a.StopPlayback)


def test_clear_speech_cuts_the_phrase_once_it_has_lasted_the_minimum(settings):
    need = settings.dialogue.barge_in_min_speech_s
    call = run(settings, _talk(3.0, 5.0, "我要投诉", 0.9))
    (stop_t, _), *_ = call.actions(a.StopPlayback)
    assert 3.0 + need <= stop_t <= 3.0 + need + 0.2 + 1e-6


def test_the_minimum_follows_config():
    cfg = load_settings(overrides={"dialogue": {"barge_in_min_speech_s": 1.0}})
    call = run(cfg, _talk(3.0, 5.0, "我要投诉", 0.9))
    (stop_t, _), *_ = call.actions(a.StopPlayback)
    assert stop_t >= 4.0
