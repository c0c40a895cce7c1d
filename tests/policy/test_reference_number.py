"""Seed 001 特殊沟通内容 8 and issue 13: pen and paper, a decimal reference, repeated on request."""

from __future__ import annotations

import pytest
from fakes import dtmf, speech
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a
from ivr.policy.rules.reference import spoken_digits
from ivr.tickets.types import reference_number, ticket_uuid


def _complaint(settings, after_confirm):
    t = opening(settings) + 0.5
    rec = t + length(settings, "complaint_apology", "complaint_ask_details", "tone")
    script = dtmf(t, "1") + speech(rec + 0.5, 2.0) + dtmf(rec + 3.0, "#")
    confirm = rec + 3.0 + length(settings, "complaint_confirm") + 0.5
    script += dtmf(confirm, settings.menu.confirm_digit)
    return script + after_confirm(confirm + 0.2 + length(settings, "pen_and_paper"))


def test_reference_is_ten_stable_digits():
    tid = ticket_uuid("call-1:complaint-1", "complaint")
    ref = reference_number(tid)
    assert ref.isdigit() and len(ref) == 10
    assert reference_number(tid) == ref  # idempotent with the ticket id
    assert spoken_digits("3821049755") == "3 8 2 1, 0 4 9 7, 5 5"


def test_caller_fetches_pen_and_paper_then_hears_the_digits(settings):
    def answers(asked_end):
        return speech(asked_end + 0.5, 0.8, "好的,稍等", 0.9) + speech(asked_end + 5.0, 0.5,
                                                                      "好了", 0.9)
    call = run(settings, _complaint(settings, answers))
    (t_number, number), = [(t, x) for t, x in call.actions(a.Play)
                           if x.prompt_id == "complaint_ticket_number"]
    assert number.vars["ticket_no"].replace(" ", "").replace(",", "").isdigit()
    pen_t = next(t for t, p in call.plays() if p == "pen_and_paper")
    assert t_number == pytest.approx(pen_t + length(settings, "pen_and_paper") + 5.0 + 0.5)


def test_no_pen_needed_goes_straight_to_the_number(settings):
    call = run(settings, _complaint(settings, lambda end: speech(end + 0.5, 0.5, "不用", 0.9)))
    pen_end = next(t for t, p in call.plays() if p == "pen_and_paper") + length(
        settings, "pen_and_paper")
    number_t = next(t for t, p in call.plays() if p == "complaint_ticket_number")
    assert number_t == pytest.approx(pen_end + 1.0)


def test_the_number_is_repeated_on_request_at_the_closing(settings):
    def ask_again(end):
        number_said = end + 0.5 + 0.5
        closing = number_said + length(settings, "complaint_ticket_number", "complaint_promise",
                                       "closing_anything_else")
        return speech(end + 0.5, 0.5, "不用", 0.9) + speech(closing + 0.5, 1.0, "再说一遍", 0.9)
    call = run(settings, _complaint(settings, ask_again))
    assert [p for _, p in call.plays()].count("complaint_ticket_number") == 2


def test_pen_and_paper_can_be_switched_off():
    cfg = load_settings(overrides={"complaint": {"pen_and_paper": False}})
    call = run(cfg, _complaint(cfg, lambda end: []))
    assert "pen_and_paper" not in [p for _, p in call.plays()]
    assert "complaint_ticket_number" in [p for _, p in call.plays()]
