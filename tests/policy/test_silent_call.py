"""Seed 000 第十六条 3: the silent call ladder, timed from the end of each phrase."""

from __future__ import annotations

import pytest
from fakes import dtmf, speech
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a


def expected_hangup(settings) -> float:
    cfg = settings.silent_call
    return (
        opening(settings)
        + cfg.after_greeting_s
        + cfg.reprompt_count * (length(settings, "silent_reprompt") + cfg.after_reprompt_s)
        + length(settings, "silent_final_notice")
        + cfg.after_final_notice_s
    )


def test_silent_line_hangs_up_after_the_ladder_at_the_exact_time(settings):
    call = run(settings)
    cfg = settings.silent_call
    assert call.reason == "silent"
    assert call.end_t == pytest.approx(expected_hangup(settings), abs=1e-3)
    start = opening(settings) + cfg.after_greeting_s
    assert call.plays()[-2:] == [
        (pytest.approx(start, abs=1e-3), "silent_reprompt"),
        (
            pytest.approx(
                start + length(settings, "silent_reprompt") + cfg.after_reprompt_s, abs=1e-3
            ),
            "silent_final_notice",
        ),
    ]


def test_changing_a_timer_in_config_moves_the_hang_up():
    slow = load_settings(overrides={"silent_call": {"after_greeting_s": 7.0}})
    default = load_settings()
    call = run(slow)
    assert call.end_t == pytest.approx(expected_hangup(slow), abs=1e-3)
    assert call.end_t - expected_hangup(default) == pytest.approx(2.0, abs=1e-3)


def test_two_reprompts_when_configured():
    twice = load_settings(overrides={"silent_call": {"reprompt_count": 2}})
    call = run(twice)
    assert [p for _, p in call.plays()].count("silent_reprompt") == 2
    assert call.end_t == pytest.approx(expected_hangup(twice), abs=1e-3)


@pytest.mark.parametrize("step", [0, 1, 2])
def test_speech_at_any_step_returns_to_the_normal_flow(settings, step):
    cfg = settings.silent_call
    moments = [
        opening(settings) + 1.0,  # during the first pause
        opening(settings) + cfg.after_greeting_s + 1.0,  # during the re-prompt
        opening(settings)
        + cfg.after_greeting_s
        + length(settings, "silent_reprompt")
        + cfg.after_reprompt_s
        + length(settings, "silent_final_notice")
        + 1.0,  # last pause
    ]
    t = moments[step]
    call = run(settings, speech(t, 1.0, "我要投诉", 0.9))
    assert call.reason != "silent"
    starts = [x for _, x in call.actions(a.StartTimer)]
    # The ladder's pending timer was cancelled when the caller spoke.
    cancels = [(tt, x.name) for tt, x in call.actions(a.CancelTimer)]
    assert any(name == "ladder" and tt == pytest.approx(t) for tt, name in cancels) or step == 1
    assert "complaint_apology" in [p for _, p in call.plays()]
    assert starts


def test_a_key_during_the_ladder_is_heard_too(settings):
    t = opening(settings) + 2.0
    call = run(settings, dtmf(t, "3"))
    assert (pytest.approx(t), "suggestion_ask") in call.plays()
