"""Seed 000 第十七条 5-6, seed 001 电话无法听清 1-2: the low-volume ladder from LineReports."""

from __future__ import annotations

import pytest
from fakes import line
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a


def quiet_from(t0: float, seconds: float, **kw):
    return line(t0, t0 + seconds, "low_volume", level_dbfs=-50.0, **kw)


def test_quiet_speech_gets_speak_louder_then_call_again_then_hang_up(settings):
    cfg = settings.low_volume
    start = opening(settings) + 0.5  # quiet speech after the greeting
    call = run(settings, quiet_from(start, 12.0))  # still quiet after the first phrase
    assert call.reason == "low_volume"
    plays = call.plays()
    # The rule speaks once min_low_speech_s of quiet speech has accumulated.
    t_first, first = plays[1]
    assert first == "low_volume_speak_louder"
    assert t_first == pytest.approx(start + cfg.min_low_speech_s, abs=1e-3)
    t_final = t_first + length(settings, "low_volume_speak_louder") + cfg.wait_after_prompt_s
    assert plays[2] == (pytest.approx(t_final, abs=1e-3), "low_volume_call_again")
    assert call.end_t == pytest.approx(
        t_final + length(settings, "low_volume_call_again") + cfg.hangup_after_final_s, abs=1e-3
    )


def test_short_quiet_bursts_below_the_persistence_do_nothing(settings):
    start = opening(settings) + 0.5
    need = settings.low_volume.min_low_speech_s
    call = run(
        settings, quiet_from(start, need - 0.25) + line(start + need, start + need + 1, "ok")
    )
    assert "low_volume_speak_louder" not in [p for _, p in call.plays()]


def test_speakerphone_variant_when_reverberant(settings):
    call = run(settings, quiet_from(opening(settings) + 0.5, 3.0, reverberant=True))
    assert "low_volume_pick_up_handset" in [p for _, p in call.plays()]


def test_configured_first_prompt_wins_over_auto():
    cfg = load_settings(overrides={"low_volume": {"first_prompt": "pick_up_handset"}})
    call = run(cfg, quiet_from(opening(cfg) + 0.5, 3.0))
    assert "low_volume_pick_up_handset" in [p for _, p in call.plays()]


def test_while_a_phrase_plays_the_rule_waits_its_turn(settings):
    call = run(settings, quiet_from(1.0, 3.0))  # during the greeting
    plays = call.plays()
    assert plays[0][1] == "greeting"
    assert plays[1] == (
        pytest.approx(length(settings, "greeting"), abs=1e-3),
        "low_volume_speak_louder",
    )
    assert not call.actions(a.StopPlayback)


def test_clear_speech_after_speak_louder_returns_to_normal_flow(settings):
    start = opening(settings) + 0.5
    t_first = start + settings.low_volume.min_low_speech_s
    back = t_first + length(settings, "low_volume_speak_louder") + 1.0
    call = run(settings, quiet_from(start, 2.0) + line(back, back + 1.0, "ok"))
    assert "low_volume_call_again" not in [p for _, p in call.plays()]
    assert call.reason != "low_volume"


def test_two_rounds_when_configured():
    cfg = load_settings(overrides={"low_volume": {"speak_louder_rounds_count": 2}})
    call = run(cfg, quiet_from(opening(cfg) + 0.5, 25.0))
    assert [p for _, p in call.plays()].count("low_volume_speak_louder") == 2
    assert call.reason == "low_volume"
