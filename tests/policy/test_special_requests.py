"""Seed 001 关于特殊沟通内容的应答规范 1, 2, 4, 5: a named colleague, a wrong number, the agent's
personal details, a request outside the service. Keywords come from config; times from the
phrase lengths and config timers, exact in virtual time."""

from __future__ import annotations

import pytest
from fakes import speech
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a
from ivr.policy.rules.intent import classify


@pytest.mark.parametrize(
    ("locale", "text", "intent"),
    [
        ("zh-CN", "不好意思,我打错了", "wrong_number"),
        ("zh-CN", "我要找小李", "named_colleague"),
        ("zh-CN", "我要找你们经理", "person"),  # a supervisor is a person request, not a name
        ("zh-CN", "你的微信是多少", "personal_info"),
        ("zh-CN", "你的qq号告诉我", "personal_info"),  # keyword case does not matter
        ("zh-CN", "请问能帮我订机票吗", "out_of_scope"),  # beats the generic "请问"
        ("zh-CN", "我要投诉,你们把地址打错了", "complaint"),  # business beats the special ones
        ("en-US", "sorry, wrong number", "wrong_number"),
        ("en-US", "can I speak to John", "named_colleague"),
        ("en-US", "can I speak to a person", "person"),
        ("en-US", "what is your phone number", "personal_info"),
        ("en-US", "I need a loan", "out_of_scope"),
    ],
)
def test_special_keywords_per_locale(settings, locale, text, intent):
    assert classify(text, settings.keywords(locale)) == intent


def test_special_keywords_come_from_config():
    cfg = load_settings(overrides={"intents": {"zh-CN": {"out_of_scope": ["外卖"]}}})
    assert classify("我的外卖", cfg.keywords("zh-CN")) == "out_of_scope"
    assert classify("我想贷款", cfg.keywords("zh-CN")) is None


@pytest.mark.parametrize(("locale", "words"), [("zh-CN", "不好意思,打错了"),
                                               ("en-US", "sorry, wrong number")])
def test_wrong_number_check_and_dial_again_then_goodbye(settings, locale, words):
    """001 特殊沟通内容 2: "您好,这里是xxxx客服中心,请您查证后再拨。" -> goodbye -> hang up."""
    t = opening(settings) if locale == "zh-CN" else _opening_en(settings)
    t += 0.5
    call = run(settings, speech(t, 1.0, words, 0.9), locale=locale)
    said = t + 1.0
    wrong = length(settings, "wrong_number", locale=locale)
    assert call.plays()[1:] == [
        (pytest.approx(said), "wrong_number"),
        (pytest.approx(said + wrong), "closing_goodbye"),
    ]
    assert call.reason == "normal"
    goodbye = length(settings, "closing_goodbye", locale=locale)
    assert call.end_t == pytest.approx(said + wrong + goodbye, abs=1e-3)
    assert not call.tickets  # no survey, no ticket for a wrong number


def _opening_en(settings) -> float:
    return length(settings, "greeting", locale="en-US")


def test_named_colleague_then_insist_then_a_callback_ticket(settings):
    """001 特殊沟通内容 1: offer to help; "我们每位同事均接受过专业的培训…"; still insisting ->
    leave a contact for a callback (ticket of category callback, promise with its hours)."""
    t1 = opening(settings) + 0.5
    t2 = t1 + 1.0 + length(settings, "named_colleague") + 0.5
    t3 = t2 + 1.0 + length(settings, "named_colleague_insist") + 0.5
    script = (
        speech(t1, 1.0, "我要找小李", 0.9)
        + speech(t2, 1.0, "我就要找小李", 0.9)
        + speech(t3, 1.0, "我一定要找小李,只有他知道", 0.9)
    )
    call = run(settings, script)
    plays = call.plays()
    assert plays[1:5] == [
        (pytest.approx(t1 + 1.0), "named_colleague"),
        (pytest.approx(t2 + 1.0), "named_colleague_insist"),
        (pytest.approx(t3 + 1.0), "callback_promise"),
        (pytest.approx(t3 + 1.0 + length(settings, "callback_promise")), "closing_understood"),
    ]
    ((open_t, ticket),) = call.actions(a.OpenTicket)
    assert open_t == pytest.approx(t3 + 1.0)
    assert ticket.category == "callback"
    assert ticket.transcript == "我一定要找小李,只有他知道"  # the desk sees whom they asked for
    (promise,) = [x for _, x in call.actions(a.Play) if x.prompt_id == "callback_promise"]
    assert promise.vars == {"when": "在24小时内"}
    assert call.reason == "normal"


def test_named_colleague_then_the_caller_states_their_business(settings):
    t1 = opening(settings) + 0.5
    t2 = t1 + 1.0 + length(settings, "named_colleague") + 0.5
    call = run(settings, speech(t1, 1.0, "我想找小王", 0.9) + speech(t2, 1.0, "我要投诉", 0.9))
    assert (pytest.approx(t2 + 1.0), "complaint_apology") in call.plays()
    assert "named_colleague_insist" not in [p for _, p in call.plays()]


def test_named_colleague_answer_waits_for_the_question(settings):
    """After the offer to help the caller gets the ordinary answer time, then the re-ask."""
    t1 = opening(settings) + 0.5
    call = run(settings, speech(t1, 1.0, "我要找小李", 0.9))
    asked_end = t1 + 1.0 + length(settings, "named_colleague")
    wait = settings.dialogue.intent_timeout_s
    assert call.plays()[2:4] == [
        (pytest.approx(asked_end + wait), "repeat_please"),
        (pytest.approx(asked_end + wait + length(settings, "repeat_please")), "menu"),
    ]


def test_personal_info_then_insist_then_back_to_the_conversation(settings):
    """001 特殊沟通内容 4: "您好,我是***,有什么问题您能够拨打xxxx联系我们。"; insisting -> "…只能
    通报昵称…"; then the call goes on (the caller is asked for their business again)."""
    t1 = opening(settings) + 0.5
    t2 = t1 + 1.0 + length(settings, "personal_info") + 0.5
    script = speech(t1, 1.0, "你的微信是多少", 0.9) + speech(t2, 1.0, "告诉我你的QQ嘛", 0.9)
    call = run(settings, script)
    insist_end = t2 + 1.0 + length(settings, "personal_info_insist")
    wait = settings.dialogue.intent_timeout_s
    assert call.plays()[1:4] == [
        (pytest.approx(t1 + 1.0), "personal_info"),
        (pytest.approx(t2 + 1.0), "personal_info_insist"),
        (pytest.approx(insist_end + wait), "repeat_please"),
    ]
    (first,) = [x for _, x in call.actions(a.Play) if x.prompt_id == "personal_info"]
    assert first.vars == {}  # agent name and hotline come from config, not from the call


def test_personal_info_asked_a_third_time_without_business_gets_the_harassment_warning(settings):
    t1 = opening(settings) + 0.5
    t2 = t1 + 1.0 + length(settings, "personal_info") + 0.5
    t3 = t2 + 1.0 + length(settings, "personal_info_insist") + 0.5
    script = (
        speech(t1, 1.0, "你的微信", 0.9)
        + speech(t2, 1.0, "你的微信", 0.9)
        + speech(t3, 1.0, "你的微信", 0.9)
    )
    call = run(settings, script)
    assert (pytest.approx(t3 + 1.0), "harassment_warning") in call.plays()


def test_out_of_scope_then_anything_else(settings):
    """001 特殊沟通内容 5: "非常抱歉,您的这项需求超出了我们的服务范围…" -> the closing question."""
    t = opening(settings) + 0.5
    call = run(settings, speech(t, 1.0, "我想算命", 0.9))  # no advice configured for it
    assert call.plays()[1:3] == [
        (pytest.approx(t + 1.0), "out_of_scope"),
        (pytest.approx(t + 1.0 + length(settings, "out_of_scope")), "closing_anything_else"),
    ]
    assert not call.tickets
    assert call.reason == "normal"


def test_special_requests_at_the_closing_question(settings):
    """The closing question hears them too: out of scope there gets its phrase, not goodbye."""
    t = opening(settings) + 0.5
    t2 = t + 1.0 + length(settings, "out_of_scope", "closing_anything_else") + 0.5
    call = run(settings, speech(t, 1.0, "我想算命", 0.9) + speech(t2, 1.0, "你的微信多少", 0.9))
    assert (pytest.approx(t2 + 1.0), "personal_info") in call.plays()
    # back to the closing question, asked again
    assert (pytest.approx(t2 + 1.0 + length(settings, "personal_info")),
            "closing_anything_else") in call.plays()
