"""Issue 13, seed rules that were missing: cannot hear, nickname, a colleague for a private
reason, out-of-scope advice, seed 002's harassment treatments, complaint classes, the
recording notice."""

from __future__ import annotations

import datetime as dt

import pytest
from fakes import dtmf, speech
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy.promise import make_promise
from ivr.tickets.sla import sla_calendar


def test_caller_cannot_hear_gets_louder_step_by_step(settings):
    """001 电话无法听清 6: 循序渐进的提高,不可一下将音量提的过高."""
    cfg = settings.dialogue
    t = opening(settings) + 0.5
    script = []
    for _ in range(5):
        script += speech(t, 1.0, "听不清,大声点", 0.9)
        t += 1.0 + length(settings, "can_you_hear_now") + 1.0
    call = run(settings, script)
    gains = [x.gain_db for _, x in call.actions(a.PlaybackGain)]
    assert gains[0] == cfg.louder_step_db
    assert all(b - a_ <= cfg.louder_step_db for a_, b in zip([0.0, *gains], gains, strict=False))
    assert max(gains) == cfg.louder_max_db
    assert [p for _, p in call.plays()].count("can_you_hear_now") == 5


def test_nickname_is_answered_with_the_agent_name(settings):
    call = run(settings, speech(opening(settings) + 0.5, 1.0, "请问怎么称呼你", 0.9))
    assert "nickname" in [p for _, p in call.plays()]
    assert "personal_info" not in [p for _, p in call.plays()]


def _private(settings, answers):
    t = opening(settings) + 0.5
    script = speech(t, 1.0, "我要找小王,是私事", 0.9)
    t += 1.0 + length(settings, "named_colleague_private") + 0.5
    for words in answers:
        script += speech(t, 0.8, words, 0.9)
        t += 0.8 + length(settings, "named_colleague_private") + 0.5
    return run(settings, script)


def test_private_reason_agreed_says_thanks_and_goodbye(settings):
    call = _private(settings, ["好的"])
    assert [p for _, p in call.plays()][-1] == "named_colleague_private_bye"
    assert call.reason == "normal" and not call.tickets


def test_private_reason_refused_is_explained_twice_more_then_5_s_then_hang_up(settings):
    call = _private(settings, ["不行", "不行"])
    ids = [p for _, p in call.plays()]
    assert ids.count("named_colleague_private") == 3
    last = [t for t, p in call.plays() if p == "named_colleague_private"][-1]
    assert call.end_t == pytest.approx(
        last + length(settings, "named_colleague_private")
        + settings.silent_call.after_final_notice_s)


def test_out_of_scope_advice_from_config(settings):
    call = run(settings, speech(opening(settings) + 0.5, 1.0, "我想贷款", 0.9))
    (played,) = [x for _, x in call.actions(a.Play) if x.prompt_id == "out_of_scope_advice"]
    assert played.vars == {"advice": "咨询银行或正规金融机构"}


def _abuse(settings):
    return speech(opening(settings) + 0.5, 1.0, "神经病", 0.9)


def test_harassment_analysis_treatment():
    cfg = load_settings(overrides={"harassment": {"treatment": "analysis"}})
    call = run(cfg, _abuse(cfg))
    ids = [p for _, p in call.plays()]
    assert "harassment_warning" not in ids
    assert ids[-2:] == ["harassment_analysis", "harassment_analysis_done"]
    assert call.actions(a.Tone)  # "播放一段特殊信号音"
    assert call.reason == "harassment"
    assert [t.category for t in call.tickets.values()] == ["harassment"]


def test_harassment_queue_treatment():
    cfg = load_settings(overrides={
        "harassment": {"treatment": "queue"},
        "transfer": {"queues": {"default": "sip:desk@127.0.0.1:5070",
                                "harassment": "sip:analysis@127.0.0.1:5070"}}})
    call = run(cfg, _abuse(cfg))
    (transfer,) = call.transfers
    assert transfer.target == "sip:analysis@127.0.0.1:5070"
    assert "harassment_warning" not in [p for _, p in call.plays()]
    assert call.reason == "transferred"
    assert [t.category for t in call.tickets.values()] == ["harassment"]


def test_harassment_queue_down_falls_back_to_the_warnings():
    cfg = load_settings(overrides={"harassment": {"treatment": "queue"}})
    call = run(cfg, _abuse(cfg), transfer_ok=False)
    assert "harassment_warning" in [p for _, p in call.plays()]
    assert [t.category for t in call.tickets.values()] == ["harassment"]


def _spoken_complaint(settings, details):
    t = opening(settings) + 0.5
    rec = t + 1.0 + length(settings, "complaint_apology", "complaint_ask_details", "tone")
    script = speech(t, 1.0, "我要投诉", 0.9) + speech(rec + 0.5, 3.0, details, 0.9)
    stop = rec + 0.5 + 3.0 + settings.complaint.end_of_speech_s
    confirm = stop + length(settings, "complaint_readback_intro", details, "complaint_confirm")
    return run(settings, script + dtmf(confirm + 0.5, settings.menu.confirm_digit))


def test_complaint_classes_go_on_the_ticket(settings):
    call = _spoken_complaint(settings, "冰箱送来就是坏的")
    (ticket,) = call.tickets.values()
    assert "product=家电" in ticket.notes and "nature=质量" in ticket.notes
    assert ticket.severity == "normal"


def test_urgent_words_make_an_urgent_ticket(settings):
    (ticket,) = _spoken_complaint(settings, "热水器漏电了").tickets.values()
    assert ticket.severity == "urgent"


def test_complex_complaint_is_promised_three_working_days(settings):
    call = _spoken_complaint(settings, "冰箱坏了好几次一直没解决")
    (ticket,) = call.tickets.values()
    assert ticket.severity == "complex"
    (promise,) = [x for _, x in call.actions(a.Play) if x.prompt_id == "complaint_promise"]
    expected = make_promise("zh-CN", dt.datetime(2026, 3, 3, 14, 0), "complaint", "complex",
                            sla_calendar(settings))
    assert expected.due is not None and expected.due.date() == dt.date(2026, 3, 6)
    # Tuesday 14:00 + about a minute of call + three working days -> Friday, rounded up.
    assert promise.vars["when"] == "在3月6日下午3点前"


def test_recording_notice_comes_first_and_nothing_said_during_it_is_used():
    cfg = load_settings(overrides={"privacy": {"recording_notice": True}})
    call = run(cfg, speech(1.0, 1.0, "我要投诉", 0.9),
               answered=e.Answered(t=0.0, local_time=dt.datetime(2026, 3, 3, 14, 0)))
    ids = [p for _, p in call.plays()]
    assert ids[:2] == ["recording_notice", "greeting"]
    assert "complaint_apology" not in ids
    assert not cfg.prompts["zh-CN"]["recording_notice"].barge_in
