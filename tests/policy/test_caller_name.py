"""Seed 000 第十六条 2 / seed 001 了解用户姓氏时的称呼语: once the caller gives their surname, the
bot addresses them as "王先生" (greeting_surname) instead of the plain re-prompts, and every
later ticket carries surname and title."""

from __future__ import annotations

import pytest
from fakes import speech
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a
from ivr.policy.rules.caller_name import CallerName, parse


@pytest.mark.parametrize(
    ("locale", "text", "name"),
    [
        ("zh-CN", "您好,我是王先生", CallerName("王", "先生")),
        ("zh-CN", "我姓王", CallerName("王", None)),
        ("zh-CN", "我姓王,王小姐", CallerName("王", "小姐")),
        ("zh-CN", "免贵姓欧阳,我是欧阳女士", CallerName("欧阳", "女士")),
        ("zh-CN", "我是李女士,我要投诉", CallerName("李", "女士")),
        ("zh-CN", "我是说先生您好", None),  # "说" is not a surname
        ("zh-CN", "我是想找先生", None),  # two characters that are no compound surname
        ("zh-CN", "我要投诉", None),
        ("en-US", "hello my name is mister wang", CallerName("Wang", "Mr")),
        ("en-US", "this is Mrs. Smith speaking", CallerName("Smith", "Mrs")),
        ("en-US", "my name is john", None),  # a first name alone is no surname
        ("en-US", "I miss my parcel", None),  # "miss" without an introduction is a verb
    ],
)
def test_parse_the_name_a_caller_gives(settings, locale, text, name):
    assert parse(text, settings.keywords(locale)) == name


def test_intro_words_and_titles_come_from_config():
    cfg = load_settings(overrides={"intents": {"zh-CN": {"surname_intro": ["俺是"],
                                                         "caller_title": ["老师"]}}})
    assert parse("俺是张老师", cfg.keywords("zh-CN")) == CallerName("张", "老师")
    assert parse("我是王先生", cfg.keywords("zh-CN")) is None


def test_an_introduction_is_answered_by_name_and_re_prompts_use_it(settings):
    t = opening(settings) + 0.5
    call = run(settings, speech(t, 1.0, "您好,我是王先生", 0.9))
    wait = settings.dialogue.intent_timeout_s
    by_name = length(settings, "greeting_surname")
    # "王先生,请问有什么可以帮助您?" at once (not "please repeat"), then after the answer time the
    # re-ask is by name again, followed by the menu.
    assert call.plays()[1:4] == [
        (pytest.approx(t + 1.0), "greeting_surname"),
        (pytest.approx(t + 1.0 + by_name + wait), "greeting_surname"),
        (pytest.approx(t + 1.0 + 2 * by_name + wait), "menu"),
    ]
    played = [x for _, x in call.actions(a.Play) if x.prompt_id == "greeting_surname"]
    assert all(x.vars == {"surname": "王", "title": "先生"} for x in played)
    assert "repeat_please" not in [p for _, p in call.plays()]
    # The caller never states their business: the person it goes to sees the name on the ticket.
    (ticket,) = call.tickets.values()
    assert ticket.category == "callback"
    assert (ticket.caller_surname, ticket.caller_title) == ("王", "先生")


def test_without_a_name_the_re_ask_stays_plain(settings):
    t = opening(settings) + 0.5
    call = run(settings, speech(t, 1.0, "嗯嗯", 0.9))
    assert call.plays()[1] == (pytest.approx(t + 1.0), "repeat_please")
    assert "greeting_surname" not in [p for _, p in call.plays()]
    assert all(x.caller_surname is None for x in call.tickets.values())


def test_surname_without_title_goes_on_the_ticket_but_is_not_said(settings):
    t = opening(settings) + 0.5
    call = run(settings, speech(t, 1.0, "我姓王", 0.9))
    assert call.plays()[1] == (pytest.approx(t + 1.0), "silent_reprompt")  # plain re-ask
    assert "greeting_surname" not in [p for _, p in call.plays()]
    (ticket,) = call.tickets.values()
    assert (ticket.caller_surname, ticket.caller_title) == ("王", None)


def test_name_given_with_the_complaint_goes_on_the_complaint_ticket(settings):
    t = opening(settings) + 0.5
    rec = t + 1.0 + length(settings, "complaint_apology", "complaint_ask_details")
    details = "快递三天没到"
    end = rec + 1.0 + 2.0 + settings.complaint.end_of_speech_s
    confirm = end + length(settings, "complaint_readback_intro", details, "complaint_confirm")
    script = (
        speech(t, 1.0, "我是李女士,我要投诉", 0.9)
        + speech(rec + 1.0, 2.0, details, 0.9)
        + speech(confirm + 0.5, 1.0, "是的", 0.9)
    )
    call = run(settings, script)
    (ticket,) = call.tickets.values()
    assert ticket.category == "complaint"
    assert (ticket.caller_surname, ticket.caller_title) == ("李", "女士")


def test_english_caller_is_addressed_with_title_first(settings):
    t = length(settings, "greeting", locale="en-US") + 0.5
    call = run(settings, speech(t, 1.0, "hello, this is mister wang", 0.9), locale="en-US")
    (first, *_) = [x for _, x in call.actions(a.Play) if x.prompt_id == "greeting_surname"]
    assert first.vars == {"title": "Mr", "surname": "Wang"}


def test_at_the_closing_question_yes_is_answered_by_name(settings):
    t = opening(settings) + 0.5
    t2 = t + 1.0 + length(settings, "out_of_scope", "closing_anything_else") + 0.5
    script = speech(t, 1.0, "我是王先生,我想贷款", 0.9) + speech(t2, 1.0, "好的", 0.9)
    call = run(settings, script)
    assert call.plays()[3:5] == [
        (pytest.approx(t2 + 1.0), "greeting_surname"),
        (pytest.approx(t2 + 1.0 + length(settings, "greeting_surname")), "menu"),
    ]
