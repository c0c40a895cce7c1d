"""Issue 13 defect 6: "请在提示音后讲述…" — a real tone plays before the recording starts."""

from __future__ import annotations

import pytest
from fakes import dtmf
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a


@pytest.mark.parametrize(("digit", "ask"), [("1", ("complaint_apology", "complaint_ask_details")),
                                            ("2", ("inquiry_ask",)), ("3", ("suggestion_ask",))])
def test_the_tone_comes_between_the_request_and_the_recording(settings, digit, ask):
    t = opening(settings) + 0.5
    call = run(settings, dtmf(t, digit))
    (tone_t, tone), *_ = call.actions(a.Tone)
    assert tone_t == pytest.approx(t + length(settings, *ask))
    cfg = settings.complaint
    assert (tone.frequency_hz, tone.duration_ms, tone.level_dbfs) == (
        cfg.tone_hz, cfg.tone_ms, cfg.tone_level_dbfs)
    (rec_t, _), *_ = call.actions(a.StartRecording)
    assert rec_t == pytest.approx(tone_t + cfg.tone_ms / 1000.0)
    # every prompt that promises the tone is followed by one
    for pid in ask:
        if "提示音" in settings.prompts["zh-CN"][pid].text:
            assert tone_t >= next(tt for tt, p in call.plays() if p == pid)


def test_the_tone_can_be_switched_off():
    cfg = load_settings(overrides={"complaint": {"tone_enabled": False}})
    call = run(cfg, dtmf(opening(cfg) + 0.5, "1"))
    assert not call.actions(a.Tone)
    assert call.actions(a.StartRecording)


def test_prompts_that_promise_a_tone(settings):
    promising = [pid for pid, p in settings.prompts["zh-CN"].items() if "提示音" in p.text]
    assert sorted(promising) == ["complaint_ask_details", "inquiry_ask", "suggestion_ask"]
