"""Seed 000 第十六条 3: the silent call ladder, timed from the end of each phrase."""

from __future__ import annotations

import pytest
from fakes import dtmf, speech
from policy_support import length, opening, reprompt_len, run

from ivr.config import load_settings
from ivr.policy import actions as a


def expected_hangup(settings) -> float:
    cfg = settings.silent_call
    return (
        opening(settings)
        + cfg.after_greeting_s
        + cfg.reprompt_count * (length(settings, "silent_reprompt") + cfg.after_reprompt_s)
        + menu_len(settings)  # the DTMF menu once, after the first re-prompt (issue 13 defect 8)
        + length(settings, "silent_final_notice")
        + cfg.after_final_notice_s
    )


def menu_len(settings) -> float:
    return length(settings, "menu") if settings.greeting.menu_after_greeting else 0.0


def test_silent_line_hangs_up_after_the_ladder_at_the_exact_time(settings):
    call = run(settings)
    cfg = settings.silent_call
    assert call.reason == "silent"
    assert call.end_t == pytest.approx(expected_hangup(settings), abs=1e-3)
    start = opening(settings) + cfg.after_greeting_s
    assert call.plays()[-3:] == [
        (pytest.approx(start, abs=1e-3), "silent_reprompt"),
        (pytest.approx(start + length(settings, "silent_reprompt"), abs=1e-3), "menu"),
        (
            pytest.approx(start + reprompt_len(settings) + cfg.after_reprompt_s, abs=1e-3),
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
        + reprompt_len(settings)
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


GOODBYE_ON = {"silent_call": {"goodbye_after_notice": True}}


def test_seed_001_goodbye_after_the_notice_when_configured():
    """Seed 001 无声电话: "…请您换部电话或者稍后来电,好吗?" 停顿2-5秒 "感谢您的来电,再见!" 挂机."""
    cfg = load_settings(overrides=GOODBYE_ON)
    call = run(cfg)
    notice_end = expected_hangup(cfg)  # the default ladder would hang up here...
    assert call.plays()[-2:] == [
        (pytest.approx(notice_end - cfg.silent_call.after_final_notice_s - length(
            cfg, "silent_final_notice"), abs=1e-3), "silent_final_notice"),
        (pytest.approx(notice_end, abs=1e-3), "silent_goodbye"),  # ...it says goodbye instead
    ]
    assert call.reason == "silent"
    assert call.finished()[-1] == (pytest.approx(call.end_t), "silent_goodbye")
    assert call.end_t == pytest.approx(notice_end + length(cfg, "silent_goodbye"), abs=1e-3)


def test_goodbye_follows_the_configured_pause():
    cfg = load_settings(overrides={"silent_call": {"goodbye_after_notice": True,
                                                   "after_final_notice_s": 3.0}})
    call = run(cfg)
    (notice_t,) = [t for t, p in call.plays() if p == "silent_final_notice"]
    (goodbye_t,) = [t for t, p in call.plays() if p == "silent_goodbye"]
    assert goodbye_t - notice_t == pytest.approx(length(cfg, "silent_final_notice") + 3.0)


def test_speech_in_the_pause_before_the_goodbye_still_returns_to_the_flow():
    cfg = load_settings(overrides=GOODBYE_ON)
    t = expected_hangup(cfg) - 1.0  # in the pause after the notice
    call = run(cfg, speech(t, 1.0, "我要投诉", 0.9))
    ids = [p for _, p in call.plays()]
    assert "silent_goodbye" not in ids and "complaint_apology" in ids
    assert call.reason != "silent"


def test_default_ladder_has_no_goodbye(settings):
    assert settings.silent_call.goodbye_after_notice is False
    assert "silent_goodbye" not in [p for _, p in run(settings).plays()]
