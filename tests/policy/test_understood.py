"""Seed 001 结束语规范 1: after an explanation, "请问我刚才的解释您是否清楚?"; not clear -> explain
again; clear -> "请问还有其他可以帮助您的吗?". Switched by dialogue.ask_understood."""

from __future__ import annotations

import pytest
from fakes import dtmf, speech
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a


def _inquiry(settings):
    """Key 2, the question, #: the callback promise starts at the returned time."""
    t = opening(settings) + 0.5
    rec = t + length(settings, "inquiry_ask")
    script = dtmf(t, "2") + speech(rec + 0.5, 2.0, "退货要多久", 0.9) + dtmf(rec + 3.0, "#")
    return rec + 3.0, script


def test_inquiry_promise_is_followed_by_was_that_clear(settings):
    promise_t, script = _inquiry(settings)
    asked = promise_t + length(settings, "callback_promise")
    answer = asked + length(settings, "closing_understood") + 0.5
    call = run(settings, script + speech(answer, 1.0, "清楚了", 0.9))
    plays = call.plays()
    i = plays.index((pytest.approx(promise_t), "callback_promise"))
    assert plays[i + 1 : i + 3] == [
        (pytest.approx(asked), "closing_understood"),
        (pytest.approx(answer + 1.0), "closing_anything_else"),
    ]


def test_not_clear_explains_again_then_moves_on(settings):
    promise_t, script = _inquiry(settings)
    asked = promise_t + length(settings, "callback_promise")
    first = asked + length(settings, "closing_understood") + 0.5
    again = first + 1.0 + length(settings, "callback_promise", "closing_understood") + 0.5
    script += speech(first, 1.0, "不太明白", 0.9) + speech(again, 1.0, "还是不明白", 0.9)
    call = run(settings, script)
    ids = [p for _, p in call.plays()]
    assert ids.count("callback_promise") == 2
    assert ids.count("closing_understood") == settings.dialogue.intent_attempts_count
    promises = [x for _, x in call.actions(a.Play) if x.prompt_id == "callback_promise"]
    assert promises[0].vars == promises[1].vars == {"hours": 1}
    # Asked as often as the config allows, then on to the closing question.
    assert (pytest.approx(again + 1.0), "closing_anything_else") in call.plays()


def test_silence_after_the_question_goes_on_after_the_answer_time(settings):
    promise_t, script = _inquiry(settings)
    asked_end = promise_t + length(settings, "callback_promise", "closing_understood")
    call = run(settings, script)
    wait = settings.dialogue.intent_timeout_s
    assert (pytest.approx(asked_end + wait), "closing_anything_else") in call.plays()


def test_a_new_request_at_the_question_starts_its_flow(settings):
    promise_t, script = _inquiry(settings)
    answer = promise_t + length(settings, "callback_promise", "closing_understood") + 0.5
    call = run(settings, script + speech(answer, 1.0, "我还要投诉", 0.9))
    assert (pytest.approx(answer + 1.0), "complaint_apology") in call.plays()


def test_switched_off_the_promise_goes_straight_to_the_closing_question():
    cfg = load_settings(overrides={"dialogue": {"ask_understood": False},
                                   "contact_number": {"enabled": False}})
    promise_t, script = _inquiry(cfg)
    call = run(cfg, script)
    assert "closing_understood" not in [p for _, p in call.plays()]
    after = promise_t + length(cfg, "callback_promise")
    assert (pytest.approx(after), "closing_anything_else") in call.plays()


def test_failed_transfer_promise_is_checked_too(settings):
    call = run(settings, dtmf(opening(settings) + 0.5, "0"), transfer_ok=False)
    ids = [p for _, p in call.plays()]
    assert ids[ids.index("transfer_failed") + 1] == "closing_understood"


def test_complaint_close_does_not_ask(settings):
    """Seed 001 投诉 8 closes a complaint with its own words: no "was that clear?"."""
    t = opening(settings) + 0.5
    rec = t + length(settings, "complaint_apology", "complaint_ask_details")
    k = rec + 3.0
    ok = k + length(settings, "complaint_confirm") + 0.5
    call = run(settings, dtmf(t, "1") + speech(rec + 1, 1.0) + dtmf(k, "#") + dtmf(ok, "1"))
    ids = [p for _, p in call.plays()]
    assert "complaint_promise" in ids and "closing_understood" not in ids
