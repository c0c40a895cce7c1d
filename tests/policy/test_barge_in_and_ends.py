"""Barge-in, shutdown, the call-length bound, caller hang-up and live config updates."""

from __future__ import annotations

import pytest
from fakes import dtmf, hang_up, speech
from policy_support import length, opening, reprompt_len, run

from ivr.config import load_settings
from ivr.policy import CallPolicy
from ivr.policy import actions as a
from ivr.policy import events as e


def test_caller_speech_stops_an_interruptible_phrase(settings):
    # One clear report at the start: the evidence is complete when the 1 s segment ends
    # (dialogue.barge_in_min_speech_s; tests/policy/test_barge_in_evidence.py).
    call = run(settings, speech(2.0, 1.0, "我要投诉", 0.9))
    assert call.actions(a.StopPlayback)[0][0] == pytest.approx(3.0)
    assert call.plays()[1] == (pytest.approx(3.0), "complaint_apology")


def test_final_phrases_cannot_be_talked_over(settings):
    cfg = settings.silent_call
    notice_t = (
        opening(settings)
        + cfg.after_greeting_s
        + reprompt_len(settings)
        + cfg.after_reprompt_s
    )
    call = run(settings, speech(notice_t + 1.0, 1.0))
    stops = [t for t, _ in call.actions(a.StopPlayback)]
    assert notice_t + 1.0 not in stops
    assert (
        pytest.approx(notice_t + length(settings, "silent_final_notice")),
        "silent_final_notice",
    ) in call.finished()


def test_barge_in_can_be_switched_off():
    cfg = load_settings(overrides={"dialogue": {"barge_in": False}})
    call = run(cfg, speech(2.0, 1.0, "我要投诉", 0.9))
    assert not call.actions(a.StopPlayback)


def test_shutdown_says_goodbye_then_hangs_up(settings):
    call = run(settings, [e.ShutdownRequested(t=3.0)])
    assert call.plays()[-1] == (3.0, "closing_goodbye")
    assert call.reason == "shutdown"
    assert call.end_t == pytest.approx(3.0 + length(settings, "closing_goodbye"))


def test_every_call_ends_within_max_call_s():
    cfg = load_settings(overrides={"dialogue": {"max_call_s": 30.0}})
    # A caller who never stops describing a complaint: only the length bound ends the call.
    call = run(cfg, dtmf(0.5, "1") + speech(1.0, 100.0))
    assert call.reason == "max_duration"
    assert call.actions(a.StopRecording)[0][0] == pytest.approx(30.0)
    assert call.end_t == pytest.approx(30.0 + length(cfg, "closing_goodbye"))


def test_caller_hang_up_ends_at_once_with_every_timer_cancelled(settings):
    call = run(settings, hang_up(5.0))
    assert call.reason == "caller_hangup" and call.end_t == 5.0
    assert call.violations == []


def test_config_update_applies_from_the_next_decision(settings):
    slow = load_settings(overrides={"silent_call": {"after_reprompt_s": 9.0}})
    cfg = settings.silent_call
    reprompt_t = opening(settings) + cfg.after_greeting_s
    call = run(settings, [e.ConfigUpdated(t=1.0, settings=slow)])
    notice = [t for t, p in call.plays() if p == "silent_final_notice"]
    assert notice == [pytest.approx(reprompt_t + reprompt_len(settings) + 9.0)]


def test_unknown_locale_is_refused_clearly(settings):
    with pytest.raises(ValueError, match="locale 'fr-FR'"):
        CallPolicy(settings, "fr-FR")


def test_english_calls_use_the_english_catalogue(settings):
    call = run(settings, locale="en-US")
    assert call.reason == "silent"
    assert call.plays()[0][1] == "greeting"


def test_noise_or_faint_speech_does_not_cut_the_phrase(settings):
    """Barge-in needs speech the monitor calls clear: a noisy line hears the greeting out."""
    noisy = [
        e.SpeechStarted(t=1.0),
        e.LineReport(
            t=1.2, speech=True, level_dbfs=-20.0, noise_dbfs=-22.0, snr_db=2.0, verdict="noisy"
        ),
        e.LineReport(
            t=1.4,
            speech=True,
            level_dbfs=-52.0,
            noise_dbfs=-70.0,
            snr_db=18.0,
            verdict="low_volume",
        ),
    ]
    call = run(settings, noisy)
    assert not [t for t, _ in call.actions(a.StopPlayback) if t < 2.0]
    clear = [
        *noisy,
        e.LineReport(
            t=1.6, speech=True, level_dbfs=-24.0, noise_dbfs=-70.0, snr_db=46.0, verdict="ok"
        ),
        e.LineReport(
            t=1.8, speech=True, level_dbfs=-24.0, noise_dbfs=-70.0, snr_db=46.0, verdict="ok"
        ),
    ]
    call = run(settings, clear)
    # Clear from 1.4 on (the last bad report): cut once that has lasted the minimum.
    need = settings.dialogue.barge_in_min_speech_s
    assert call.actions(a.StopPlayback)[0][0] == pytest.approx(1.8)
    assert 1.8 - 1.4 >= need
