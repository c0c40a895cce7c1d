"""Intent after the greeting: keywords per locale from config, DTMF menu digits."""

from __future__ import annotations

import pytest
from fakes import dtmf, speech
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a
from ivr.policy.rules.intent import classify, digit_intent, yes_no


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我要投诉你们的快递", "complaint"),
        ("请问怎么退货", "inquiry"),
        ("我有个建议", "suggestion"),
        ("转人工", "person"),
        ("谢谢你", "thanks"),
        ("没有了,再见", "goodbye"),
        ("今天天气", None),
        ("", None),
    ],
)
def test_zh_keywords(settings, text, intent):
    assert classify(text, settings.keywords("zh-CN")) == intent


def test_en_keywords_match_whole_words(settings):
    kw = settings.keywords("en-US")
    assert classify("I want to talk to a person", kw) == "person"
    assert classify("I'd like to complain", kw) == "complaint"
    assert classify("the agenda", kw) is None  # "agent" is not inside "agenda"
    assert yes_no("no thanks", kw) is False and yes_no("yes please", kw) is True
    assert yes_no("不是", settings.keywords("zh-CN")) is False


def test_keywords_come_from_config():
    cfg = load_settings(overrides={"intents": {"zh-CN": {"complaint": ["吐槽"]}}})
    assert classify("我要吐槽", cfg.keywords("zh-CN")) == "complaint"
    assert classify("我要投诉", cfg.keywords("zh-CN")) is None


def test_menu_digits_from_config(settings):
    menu = settings.menu
    assert digit_intent(settings, menu.complaint_digit) == "complaint"
    assert digit_intent(settings, menu.person_digit) == "person"
    moved = load_settings(overrides={"menu": {"complaint_digit": "9"}})
    assert digit_intent(moved, "9") == "complaint"


@pytest.mark.parametrize(
    ("digit", "first"),
    [
        ("1", "complaint_apology"),
        ("2", "inquiry_ask"),
        ("3", "suggestion_ask"),
        ("0", "transfer_notice"),
    ],
)
def test_each_menu_digit_starts_its_flow(settings, digit, first):
    t = opening(settings) + 0.5
    call = run(settings, dtmf(t, digit))
    assert (pytest.approx(t), first) in call.plays()


def test_unanswered_menu_is_repeated_then_a_person_takes_over(settings):
    t = opening(settings) + 0.5
    call = run(settings, speech(t, 1.0))  # heard, but no recogniser and no key
    wait = settings.dialogue.intent_timeout_s
    plays = call.plays()
    assert plays[1] == (pytest.approx(t + 1.0), "menu")
    assert plays[2] == (pytest.approx(t + 1.0 + length(settings, "menu") + wait), "transfer_notice")
    assert call.reason == "transferred"


def test_repeat_digit_replays_the_menu(settings):
    t = opening(settings) + 0.5
    call = run(settings, dtmf(t, settings.menu.repeat_digit))
    assert (pytest.approx(t), "menu") in call.plays()
    assert call.actions(a.Play)[1][1].prompt_id == "menu"
