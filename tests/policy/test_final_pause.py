"""Issue 13 defect 3: every final-pause rung hears the caller.

Seed 001 电话无法听清 4: "停顿5秒,用户无回应,可挂机" — a caller who answers in the pause is not hung
up on. Usable speech (or a key) in the pause after the final phrase of the dialect, low-volume,
noisy, silent or harassment ladder cancels the hang-up and the call goes on; unusable speech only
holds the hang-up until it ends. Low volume (000 第十七条 6): "若仍听不清楚" — the second phrase
depends on what was heard after the first.
"""

from __future__ import annotations

import pytest
from fakes import dtmf, line, speech
from policy_support import length, opening, run

from ivr.policy import actions as a

COMPLAIN = "我要投诉"


def garbled(t: float, settings, seconds: float = 2.0):
    low = settings.unintelligible.min_confidence - 0.2
    return speech(t, seconds, "嗯啊", low, level_dbfs=-20.0)


def _dialect_to_final(settings):
    """Three garbled answers: the dialect ladder's final phrase; returns (script, pause start)."""
    t0 = opening(settings) + 1.0
    ask_t = t0 + 2.0 + length(settings, "dialect_speak_mandarin") + 1.0
    final_t = ask_t + 2.0 + length(settings, "dialect_ask_someone_nearby") + 1.0
    script = garbled(t0, settings) + garbled(ask_t, settings) + garbled(final_t, settings)
    return script, final_t + 2.0 + length(settings, "dialect_final")


def test_dialect_final_pause_hears_a_complaint(settings):
    script, pause = _dialect_to_final(settings)
    call = run(settings, script + speech(pause + 1.0, 1.5, COMPLAIN, 0.9))
    plays = [p for _, p in call.plays()]
    assert "complaint_apology" in plays
    assert call.reason != "unintelligible"


def test_dialect_final_pause_still_garbled_hangs_up_after_the_speech(settings):
    script, pause = _dialect_to_final(settings)
    call = run(settings, script + garbled(pause + 4.0, settings, seconds=2.0))
    assert call.reason == "unintelligible"
    # The hang-up waits for the caller to stop, then the rest of the pause.
    assert call.end_t == pytest.approx(pause + settings.unintelligible.hangup_after_final_s + 2.0)


def test_dialect_final_pause_with_silence_hangs_up_on_time(settings):
    script, pause = _dialect_to_final(settings)
    call = run(settings, script)
    assert call.end_t == pytest.approx(pause + settings.unintelligible.hangup_after_final_s)


def _silent_notice_end(settings) -> float:
    cfg = settings.silent_call
    notice = (
        length(settings, "greeting") + cfg.after_greeting_s
        + length(settings, "silent_reprompt") + cfg.after_reprompt_s
    )
    return notice + length(settings, "silent_final_notice")


def test_silent_final_pause_hears_the_caller(settings):
    pause = _silent_notice_end(settings)
    call = run(settings, speech(pause + 2.0, 1.5, COMPLAIN, 0.9))
    assert "complaint_apology" in [p for _, p in call.plays()]
    assert call.reason != "silent"


def test_silent_final_pause_hears_a_key(settings):
    pause = _silent_notice_end(settings)
    call = run(settings, dtmf(pause + 2.0, settings.menu.complaint_digit))
    assert "complaint_apology" in [p for _, p in call.plays()]


def _quiet(t0, t1):
    return line(t0, t1, "low_volume", level_dbfs=-50.0)


def test_low_volume_final_pause_hears_clear_speech(settings):
    cfg = settings.low_volume
    start = opening(settings) + 0.5
    first = start + cfg.min_low_speech_s
    first_end = first + length(settings, "low_volume_speak_louder")
    final_end = first_end + cfg.wait_after_prompt_s + length(settings, "low_volume_call_again")
    script = _quiet(start, first_end + 2.0) + speech(final_end + 1.0, 1.5, COMPLAIN, 0.9)
    call = run(settings, script)
    assert "low_volume_call_again" in [p for _, p in call.plays()]
    assert "complaint_apology" in [p for _, p in call.plays()]
    assert call.reason != "low_volume"


def test_low_volume_second_phrase_needs_quiet_speech_after_the_first(settings):
    """Silence after "请您大声一点": not "still too quiet" but a silent line (000 第十六条 3)."""
    cfg = settings.low_volume
    start = opening(settings) + 0.5
    first = start + cfg.min_low_speech_s
    call = run(settings, _quiet(start, first + 0.5))  # quiet speech stops during the phrase
    plays = [p for _, p in call.plays()]
    assert plays.count("low_volume_speak_louder") == 1
    assert "low_volume_call_again" not in plays
    assert "silent_reprompt" in plays and call.reason == "silent"


def test_low_volume_still_quiet_after_the_first_phrase_gets_the_second(settings):
    cfg = settings.low_volume
    start = opening(settings) + 0.5
    first = start + cfg.min_low_speech_s
    first_end = first + length(settings, "low_volume_speak_louder")
    call = run(settings, _quiet(start, first + 0.5) + _quiet(first_end + 1.0, first_end + 3.0))
    plays = call.plays()
    assert [p for _, p in plays].count("low_volume_call_again") == 1
    assert call.reason == "low_volume"


def test_noisy_final_pause_hears_recognised_speech(settings):
    cfg = settings.noisy_line
    start = opening(settings) + 0.5
    first = start + cfg.min_noisy_s
    noise_len = length(settings, "noisy_line")
    last_end = first + noise_len + (cfg.repeat_count - 1) * (cfg.interval_s + noise_len)
    script = line(start, last_end + 4.0, "noisy", speech=False)
    script += speech(last_end + 1.0, 1.5, COMPLAIN, 0.9)
    script = [ev for ev in script if not (type(ev).__name__ == "LineReport" and ev.verdict == "ok")]
    call = run(settings, sorted(script, key=lambda ev: ev.t))
    assert "complaint_apology" in [p for _, p in call.plays()]
    assert call.reason != "noisy"


def test_harassment_final_pause_hears_business(settings):
    cfg = settings.harassment
    t = opening(settings) + 1.0
    warn = length(settings, "harassment_warning")
    script = []
    for _ in range(cfg.warning_count + 1):
        script += speech(t, 1.0, "神经病", 0.9)
        t += 1.0 + warn + 1.0
    final_end = t - warn - 1.0 + length(settings, "harassment_final")
    script += speech(final_end + 1.0, 1.0, COMPLAIN, 0.9)
    call = run(settings, script)
    assert "complaint_apology" in [p for _, p in call.plays()]
    assert not call.actions(a.Hangup) or call.reason != "harassment"
