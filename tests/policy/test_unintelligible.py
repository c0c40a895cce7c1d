"""Seed 000 第十七条 8, seed 001 电话无法听清 4: speech the recogniser cannot understand."""

from __future__ import annotations

import pytest
from fakes import line, speech
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import events as e
from ivr.policy.rules.unintelligible import is_unintelligible


def garbled(t: float, settings, seconds: float = 2.0):
    low = settings.unintelligible.min_confidence - 0.2
    return speech(t, seconds, "嗯啊", low, level_dbfs=-20.0)


def test_ladder_mandarin_then_someone_nearby_then_final_then_hang_up(settings):
    t0 = opening(settings) + 1.0
    ask_t = t0 + 2.0 + length(settings, "dialect_speak_mandarin") + 1.0
    final_t = ask_t + 2.0 + length(settings, "dialect_ask_someone_nearby") + 1.0
    call = run(
        settings, garbled(t0, settings) + garbled(ask_t, settings) + garbled(final_t, settings)
    )
    plays = call.plays()
    assert plays[1] == (pytest.approx(t0 + 2.0), "dialect_speak_mandarin")
    assert plays[2] == (pytest.approx(ask_t + 2.0), "dialect_ask_someone_nearby")
    assert plays[3] == (pytest.approx(final_t + 2.0), "dialect_final")
    assert call.reason == "unintelligible"
    assert call.end_t == pytest.approx(
        final_t
        + 2.0
        + length(settings, "dialect_final")
        + settings.unintelligible.hangup_after_final_s,
        abs=1e-3,
    )


def test_silence_after_a_rung_climbs_after_the_answer_timeout(settings):
    t0 = opening(settings) + 1.0
    call = run(settings, garbled(t0, settings))
    plays = dict((p, t) for t, p in call.plays())
    wait = settings.dialogue.intent_timeout_s
    assert plays["dialect_ask_someone_nearby"] == pytest.approx(
        t0 + 2.0 + length(settings, "dialect_speak_mandarin") + wait, abs=1e-3
    )
    assert call.reason == "unintelligible"


def test_understood_speech_returns_to_the_flow(settings):
    t0 = opening(settings) + 1.0
    t1 = t0 + 2.0 + length(settings, "dialect_speak_mandarin") + 0.5
    call = run(settings, garbled(t0, settings) + speech(t1, 1.5, "我要投诉", 0.9, level_dbfs=-20.0))
    assert "complaint_apology" in [p for _, p in call.plays()]


def test_classification_reads_the_config():
    cfg = load_settings()
    ok = cfg.unintelligible.min_confidence
    loud = e.SpeechEnded(t=1, duration_s=2.0, transcript="x", confidence=ok - 0.01, level_dbfs=-20)
    assert is_unintelligible(cfg, loud)
    assert not is_unintelligible(cfg, e.SpeechEnded(t=1, duration_s=2.0, confidence=ok + 0.01))
    assert is_unintelligible(
        cfg, e.SpeechEnded(t=1, duration_s=2.0, confidence=0.9, in_vocabulary=False)
    )
    # No recogniser, quiet speech, short speech, noisy line: not this rule's business.
    assert not is_unintelligible(cfg, e.SpeechEnded(t=1, duration_s=2.0, confidence=None))
    assert not is_unintelligible(
        cfg, e.SpeechEnded(t=1, duration_s=2.0, confidence=0.1, level_dbfs=-55.0)
    )
    short = cfg.unintelligible.min_speech_s - 0.1
    assert not is_unintelligible(cfg, e.SpeechEnded(t=1, duration_s=short, confidence=0.1))
    assert not is_unintelligible(cfg, loud, line_clear=False)
    strict = load_settings(overrides={"unintelligible": {"min_confidence": 0.3}})
    assert not is_unintelligible(strict, loud)


def test_noisy_line_is_not_called_unintelligible(settings):
    t0 = opening(settings) + 1.0
    call = run(settings, line(t0 - 0.5, t0 + 0.5, "noisy", speech=False) + garbled(t0, settings))
    assert "dialect_speak_mandarin" not in [p for _, p in call.plays()]
