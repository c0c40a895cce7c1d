"""Suggestion, inquiry, thanks (seed 001 特殊沟通内容 9-11), hold (保持), closing and survey."""

from __future__ import annotations

import pytest
from fakes import dtmf, speech
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a
from ivr.policy.rules.hold import HOLD_AFTER_S


def _record(settings, digit: str, ask: str):
    t = opening(settings) + 0.5
    rec = t + length(settings, ask)
    return t, rec, dtmf(t, digit) + speech(rec + 0.5, 2.0, "", None) + dtmf(rec + 3.0, "#")


def test_suggestion_thanks_and_ticket(settings):
    _t, rec, script = _record(settings, "3", "suggestion_ask")
    call = run(settings, script)
    assert (pytest.approx(rec + 3.0), "suggestion_thanks") in call.plays()
    assert [x.category for x in call.tickets.values()] == ["suggestion"]


def test_inquiry_gets_a_callback_promise_with_its_hours(settings):
    _t, _rec, script = _record(settings, "2", "inquiry_ask")
    call = run(settings, script)
    (played,) = [x for _, x in call.actions(a.Play) if x.prompt_id == "callback_promise"]
    assert played.vars == {"when": "在1小时内"}  # one business hour, inside opening hours
    assert [x.category for x in call.tickets.values()] == ["inquiry"]


def test_thanks_always_gets_the_standard_reply(settings):
    t = opening(settings) + 0.5
    call = run(settings, speech(t, 1.0, "谢谢", 0.9))
    assert call.plays()[1] == (pytest.approx(t + 1.0), "thanks_reply")
    assert call.plays()[2][1] == "closing_anything_else"
    assert call.reason == "normal"


def test_goodbye_without_a_ticket_skips_the_survey(settings):
    call = run(settings, speech(opening(settings) + 0.5, 1.0, "再见", 0.9))
    assert "survey" not in [p for _, p in call.plays()]
    assert call.finished()[-1][1] == "closing_goodbye" and call.reason == "normal"


def test_slow_ticket_gets_the_hold_phrase_and_thanks(settings):
    _t, _rec, script = _record_complaint(settings)
    call = run(settings, script, ticket_delay_s=10.0)
    plays = dict((p, t) for t, p in call.plays())
    ((open_t, _),) = call.actions(a.OpenTicket)
    assert plays["hold_short"] == pytest.approx(open_t + HOLD_AFTER_S)
    assert plays["hold_thanks"] == pytest.approx(open_t + 10.0)


def test_ticket_that_never_comes_does_not_stall_the_call():
    cfg = load_settings(overrides={"dialogue": {"hold_short_s": 5.0}})
    _t, _rec, script = _record_complaint(cfg)
    call = run(cfg, script, ticket_delay_s=10_000.0)
    ((open_t, _),) = call.actions(a.OpenTicket)
    promise = [t for t, p in call.plays() if p == "complaint_promise"]
    # short hold, then the long hold, then on without the number after hold_long_max_s in all
    assert promise == [pytest.approx(open_t + HOLD_AFTER_S + cfg.dialogue.hold_long_max_s)]


def _record_complaint(settings):
    t = opening(settings) + 0.5
    rec = t + length(settings, "complaint_apology", "complaint_ask_details")
    k = rec + 3.0
    ok = k + length(settings, "complaint_confirm") + 0.5
    return t, rec, dtmf(t, "1") + speech(rec + 1, 1.0) + dtmf(k, "#") + dtmf(ok, "1")


def test_survey_times_out_to_goodbye(settings):
    _t, _rec, script = _record_complaint(settings)
    call = run(settings, script)
    plays = dict((p, t) for t, p in call.plays())
    survey_end = plays["survey"] + length(settings, "survey")
    assert plays["closing_goodbye"] == pytest.approx(
        survey_end + settings.dialogue.survey_timeout_s
    )
    assert not call.updates


def test_survey_can_be_switched_off():
    cfg = load_settings(overrides={"dialogue": {"survey_enabled": False}})
    _t, _rec, script = _record_complaint(cfg)
    call = run(cfg, script)
    assert "survey" not in [p for _, p in call.plays()]


def test_another_request_at_closing_starts_its_flow(settings):
    _t, rec, script = _record(settings, "3", "suggestion_ask")
    anything_else = rec + 3.0 + length(settings, "suggestion_thanks", "closing_anything_else")
    call = run(settings, script + dtmf(anything_else + 0.5, "1"))
    assert (pytest.approx(anything_else + 0.5), "complaint_apology") in call.plays()


def test_short_or_long_hold_phrase_by_expected_wait(settings):
    from ivr.policy.rules.hold import hold_prompt

    short = settings.dialogue.hold_short_s
    assert hold_prompt(short, short) == "hold_short"
    assert hold_prompt(short + 1.0, short) == "hold_long"
