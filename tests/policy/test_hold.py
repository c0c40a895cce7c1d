"""Seed 001 保持 1-2: short hold, long hold ("不要挂线"), and "经核实…" / "关于…" after it."""

from __future__ import annotations

import pytest
from fakes import dtmf, speech
from policy_support import length, opening, run

from ivr.policy.rules.hold import HOLD_AFTER_S


def _confirmed_complaint(settings):
    t = opening(settings) + 0.5
    rec = t + length(settings, "complaint_apology", "complaint_ask_details", "tone")
    script = dtmf(t, "1") + speech(rec + 0.5, 2.0) + dtmf(rec + 3.0, "#")
    confirm = rec + 3.0 + length(settings, "complaint_confirm") + 0.5
    return script + dtmf(confirm, settings.menu.confirm_digit), confirm


def test_a_slow_register_gets_the_long_hold_then_the_thanks(settings):
    script, confirm = _confirmed_complaint(settings)
    slow = settings.dialogue.hold_short_s + 10.0  # longer than a short hold
    call = run(settings, script, ticket_delay_s=slow)
    plays = call.plays()
    ids = [p for _, p in plays]
    assert ids.index("hold_short") < ids.index("hold_long") < ids.index("hold_long_thanks")
    long_t = next(t for t, p in plays if p == "hold_long")
    assert long_t == pytest.approx(confirm + HOLD_AFTER_S + settings.dialogue.hold_short_s)
    assert "hold_thanks" not in ids


def test_a_short_wait_gets_the_short_hold_and_jing_he_shi(settings):
    script, _ = _confirmed_complaint(settings)
    call = run(settings, script, ticket_delay_s=HOLD_AFTER_S + 1.0)
    ids = [p for _, p in call.plays()]
    assert "hold_short" in ids and "hold_thanks" in ids and "hold_long" not in ids
    assert "经核实" in settings.prompts["zh-CN"]["hold_thanks"].text
