"""The seeds' rules, one row each: seed file + rule, what the caller does, what they must hear.

000 = ../shared/seeds/000_*.txt 客户服务管理 第十六/十七条; 001 = 001_*.txt 热线服务规范 用语规范;
003 = 003_*.txt 售后支持服务标准. Times come from config, never literals.
"""

from __future__ import annotations

import datetime as dt

import pytest
from fakes import dtmf, line, speech
from policy_support import WORKDAY, length, opening, run

from ivr.policy import events as e


def _complaint(s, then_key: str = "1", extra=None):
    """Key 1, speak 2 s after the request phrases, #, then `then_key` after the confirm phrase."""
    rec = opening(s) + 0.5 + length(s, "complaint_apology", "complaint_ask_details")
    confirm = rec + 3.5 + length(s, "complaint_confirm") + 0.5
    script = dtmf(opening(s) + 0.5, "1") + speech(rec + 0.5, 2.0) + dtmf(rec + 3.5, "#")
    return script + (dtmf(confirm, then_key) if extra is None else extra(confirm))


def _record(s, key: str, ask: str):
    rec = opening(s) + 0.5 + length(s, ask)
    return dtmf(opening(s) + 0.5, key) + speech(rec + 0.5, 2.0) + dtmf(rec + 3.0, "#")


def _turns(s, *turns: tuple[str, str]):
    """The caller says each text (1 s) after the bot's reply (the given phrase) to the last."""
    t, script = opening(s) + 0.5, []
    for words, reply in turns:
        script += speech(t, 1.0, words, 0.9)
        t += 1.0 + length(s, reply) + 0.5
    return script


ROWS = [
    # (seed, rule, answered kwargs, script builder, phrases in order, end reason or None)
    ("000 第十六条 1", "greeting with agent name", {}, lambda s: [], ["greeting"], None),
    (
        "000 第十六条 3",
        "silent call: reprompt, notice, hang up",
        {},
        lambda s: [],
        ["silent_reprompt", "silent_final_notice"],
        "silent",
    ),
    (
        "000 第十六条 4",
        "answered after three rings: apology",
        {"ring_s": 15.0},
        lambda s: [],
        ["queue_wait_apology"],
        None,
    ),
    (
        "001 重要节日开头语",
        "holiday greeting",
        {"local_time": dt.datetime(2026, 2, 17, 10)},
        lambda s: [],
        ["greeting_holiday_new_year"],
        None,
    ),
    (
        "000 第十七条 6",
        "quiet caller: speak louder, call again, hang up",
        {},
        lambda s: line(opening(s) + 0.5, opening(s) + 14, "low_volume"),
        ["low_volume_speak_louder", "low_volume_call_again"],
        "low_volume",
    ),
    (
        "000 第十七条 5",
        "speakerphone: pick up the handset",
        {},
        lambda s: line(opening(s) + 0.5, opening(s) + 14, "low_volume", reverberant=True),
        ["low_volume_pick_up_handset"],
        "low_volume",
    ),
    (
        "000 第十七条 7 / 001 无法听清 3",
        "noisy line twice, 5 s apart, hang up",
        {},
        lambda s: line(opening(s) + 0.5, opening(s) + 40, "noisy", speech=False),
        ["noisy_line", "noisy_line"],
        "noisy",
    ),
    (
        "000 第十七条 8 / 001 无法听清 4",
        "dialect: Mandarin, someone nearby, final",
        {},
        lambda s: speech(opening(s) + 1, 2.0, "啊", 0.1, level_dbfs=-20),
        ["dialect_speak_mandarin", "dialect_ask_someone_nearby", "dialect_final"],
        "unintelligible",
    ),
    (
        "001 特殊沟通内容 6",
        "harassment: 3 warnings, final, hang up",
        {},
        lambda s: speech(opening(s) + 1, 1.0, "神经病", 0.9),
        ["harassment_warning"] * 3 + ["harassment_final"],
        "harassment",
    ),
    (
        "001 特殊沟通内容 9",
        "suggestion thanked",
        {},
        lambda s: _record(s, "3", "suggestion_ask"),
        ["suggestion_ask", "suggestion_thanks"],
        None,
    ),
    (
        "001 特殊沟通内容 10",
        "thanks answered",
        {},
        lambda s: speech(opening(s) + 0.5, 1.0, "谢谢", 0.9),
        ["thanks_reply", "closing_goodbye"],
        "normal",
    ),
    (
        "001 特殊沟通内容 11",
        "inquiry: callback within the promised hours",
        {},
        lambda s: _record(s, "2", "inquiry_ask"),
        ["inquiry_ask", "callback_promise"],
        None,
    ),
    (
        "001 用户抱怨和投诉 3/8, 000 第八条",
        "complaint: apology, record, promise",
        {},
        _complaint,
        [
            "complaint_apology",
            "complaint_ask_details",
            "complaint_confirm",
            "complaint_ticket_number",
            "complaint_promise",
            "closing_anything_else",
            "survey",
            "closing_goodbye",
        ],
        "normal",
    ),
    (
        "001 用户抱怨和投诉 6",
        "person requested: transfer",
        {},
        lambda s: speech(opening(s) + 0.5, 1.0, "转人工", 0.9),
        ["transfer_notice"],
        "transferred",
    ),
    (
        "001 用户抱怨和投诉 2",
        "abusive caller with business: soothed",
        {},
        lambda s: _complaint(s, extra=lambda t: speech(t, 1.0, "滚", 0.9)),
        ["angry_caller"],
        None,
    ),
    (
        "000 第十六条 2 / 001 了解用户姓氏时的称呼语",
        "caller gives their name: addressed by it",
        {},
        lambda s: speech(opening(s) + 0.5, 1.0, "您好,我是王先生", 0.9),
        ["greeting_surname"],
        None,
    ),
    (
        "001 特殊沟通内容 1",
        "named colleague: offer, insist, callback promise",
        {},
        lambda s: _turns(
            s,
            ("我要找小李", "named_colleague"),
            ("我就要找小李", "named_colleague_insist"),
            ("一定要找小李", "callback_promise"),
        ),
        ["named_colleague", "named_colleague_insist", "callback_promise", "closing_understood"],
        "normal",
    ),
    (
        "001 特殊沟通内容 2",
        "wrong number: check and dial again, goodbye",
        {},
        lambda s: speech(opening(s) + 0.5, 1.0, "打错了", 0.9),
        ["wrong_number", "closing_goodbye"],
        "normal",
    ),
    (
        "001 特殊沟通内容 4",
        "personal details: service name and hotline, insist: nickname only",
        {},
        lambda s: _turns(
            s, ("你的微信多少", "personal_info"), ("你的电话呢", "personal_info_insist")
        ),
        ["personal_info", "personal_info_insist", "repeat_please"],
        None,
    ),
    (
        "001 特殊沟通内容 5",
        "outside the service: sorry, anything else",
        {},
        lambda s: speech(opening(s) + 0.5, 1.0, "能帮我订机票吗", 0.9),
        ["out_of_scope_advice", "closing_anything_else"],  # "建议您…" from [[advice.zh-CN]]
        "normal",
    ),
    (
        "001 结束语规范 1",
        "after an explanation: was that clear?",
        {},
        lambda s: _record(s, "2", "inquiry_ask"),
        ["callback_promise", "closing_understood", "closing_anything_else"],
        "normal",
    ),
    (
        "001 无声电话",
        "every end says goodbye",
        {},
        lambda s: speech(opening(s) + 0.5, 1.0, "再见", 0.9),
        ["closing_goodbye"],
        "normal",
    ),
]


@pytest.mark.parametrize(
    ("seed", "rule", "answered", "script", "phrases", "reason"),
    ROWS,
    ids=[f"{r[0]}: {r[1]}" for r in ROWS],
)
def test_seed_rule(settings, seed, rule, answered, script, phrases, reason):
    kwargs = {"local_time": WORKDAY, **answered}
    call = run(settings, script(settings), answered=e.Answered(t=0.0, **kwargs))
    heard = [p for _, p in call.plays()]
    it = iter(heard)
    assert all(p in it for p in phrases), f"{seed} {rule}: expected {phrases} in order, got {heard}"
    if reason is not None:
        assert call.reason == reason, f"{seed} {rule}"
