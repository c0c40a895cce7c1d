"""Issue 13 defect 1: genuine callers are never treated as harassers.

Seed 002 (骚扰电话的处理): "试着引导转回规定主题。当你意识到对方根本对公司产品、服务不感爱好时
就可判定为骚扰电话"; seed 004 三不: "不责备、埋怨客户". Business talk the keyword lists do not
know is clarified, then handed to a person (or a callback ticket after hours), never warned.
"""

from __future__ import annotations

import datetime as dt

from fakes import speech
from policy_support import length, opening, run

from ivr.policy import actions as a
from ivr.policy import events as e

PARCEL = "我想问一下我的快递到哪了"
FRIDGE = "我买的冰箱还没送到"


def _two_business_sentences(settings):
    t = opening(settings) + 1.0
    script = speech(t, 2.5, PARCEL, 0.9)
    t2 = t + 2.5 + length(settings, "repeat_please", "menu") + 1.0
    script += speech(t2, 2.5, FRIDGE, 0.9)
    return script, t2 + 2.5


def test_unrecognised_business_talk_is_clarified_then_handed_to_a_person(settings):
    script, _ = _two_business_sentences(settings)
    call = run(settings, script)
    plays = [p for _, p in call.plays()]
    assert "harassment_warning" not in plays and "harassment_final" not in plays
    assert "repeat_please" in plays  # the clarification first
    assert call.reason == "transferred"
    assert call.transfers and call.transfers[0].context["reason"] == "unclear"
    assert not [t for t in call.tickets.values() if t.category == "harassment"]


def test_after_hours_unrecognised_talk_gets_a_callback_ticket_not_a_blacklist(settings):
    script, _ = _two_business_sentences(settings)
    friday_evening = dt.datetime(2026, 3, 6, 19, 0)
    call = run(settings, script, answered=e.Answered(t=0.0, local_time=friday_evening))
    categories = [t.category for t in call.tickets.values()]
    assert categories == ["callback"]
    assert call.reason != "harassment"


def test_abuse_words_are_evidence(settings):
    call = run(settings, speech(opening(settings) + 1.0, 1.0, "神经病", 0.9))
    assert call.reason == "harassment"
    (ticket,) = [t for t in call.tickets.values() if t.category == "harassment"]
    assert "evidence=abuse" in ticket.notes


def test_no_harassment_without_evidence_whatever_the_caller_says(settings):
    """Several turns of unknown words: the call ends with a person, never a warning."""
    t = opening(settings) + 1.0
    script = []
    for words in ("嗯那个", "就是那个东西", "你们那个", "我不知道怎么说"):
        script += speech(t, 1.5, words, 0.9)
        t += 1.5 + 12.0
    call = run(settings, script)
    assert "harassment_warning" not in [p for _, p in call.plays()]
    assert call.actions(a.Transfer)
