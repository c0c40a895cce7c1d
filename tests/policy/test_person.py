"""Seed 001 用户抱怨和投诉 2/6/7, 特殊沟通内容 11: a person, a supervisor, an angry caller."""

from __future__ import annotations

import datetime as dt

import pytest
from fakes import dtmf, speech
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy.rules.business_hours import is_open


def test_transfer_with_the_ticket_id_in_the_context(settings):
    t = opening(settings) + 0.5
    call = run(settings, speech(t, 1.0, "转人工", 0.9))
    ((notice_t, _),) = [(tt, p) for tt, p in call.plays() if p == "transfer_notice"]
    (ticket,) = call.tickets.values()
    assert ticket.category == "callback"
    ((transfer_t, transfer),) = call.actions(a.Transfer)
    assert transfer_t == pytest.approx(notice_t + length(settings, "transfer_notice"))
    assert transfer.target == settings.transfer.queues[settings.transfer.default_queue]
    assert transfer.context["ticket_id"] == "T00001"
    assert call.reason == "transferred"
    assert call.end_t == pytest.approx(transfer_t + call.transfer_delay_s)


def test_failed_transfer_promises_a_callback(settings):
    call = run(settings, dtmf(opening(settings) + 0.5, "0"), transfer_ok=False)
    ids = [p for _, p in call.plays()]
    assert ids.index("transfer_failed") > ids.index("transfer_notice")
    played = [x for _, x in call.actions(a.Play) if x.prompt_id == "transfer_failed"]
    assert played[0].vars == {"hours": settings.commitments["callback"].promised_hours}
    assert call.updates[0].fields == {"transfer_failed": True}
    assert call.reason == "normal"


def test_transfer_without_an_answer_gives_up_after_the_long_hold():
    cfg = load_settings(overrides={"dialogue": {"hold_long_max_s": 20.0},
                                   "contact_number": {"enabled": False}})
    call = run(cfg, dtmf(opening(cfg) + 0.5, "0"), transfer_delay_s=1000.0)
    ((transfer_t, _),) = call.actions(a.Transfer)
    assert [t for t, p in call.plays() if p == "transfer_failed"] == [
        pytest.approx(transfer_t + 20.0)
    ]


def test_after_hours_no_transfer_but_a_callback_ticket(settings):
    night = dt.datetime(2026, 3, 3, 22, 30)
    call = run(
        settings, dtmf(opening(settings) + 0.5, "0"), answered=e.Answered(t=0.0, local_time=night)
    )
    assert not call.actions(a.Transfer)
    assert "after_hours" in [p for _, p in call.plays()]
    assert [x.category for x in call.tickets.values()] == ["callback"]


def test_business_hours_from_config(settings):
    assert is_open(settings, dt.datetime(2026, 3, 3, 9, 0))
    assert not is_open(settings, dt.datetime(2026, 3, 3, 18, 0))
    assert not is_open(settings, dt.datetime(2026, 3, 7, 10, 0))  # Saturday
    assert not is_open(settings, dt.datetime(2026, 10, 1, 10, 0))  # holiday
    late = load_settings(overrides={"business": {"closes_at": "23:00"}})
    assert is_open(late, dt.datetime(2026, 3, 3, 22, 30))


def test_angry_caller_is_soothed_then_transferred(settings):
    t = opening(settings) + 0.5
    rec = t + 1.0 + length(settings, "complaint_apology", "complaint_ask_details")
    conf = rec + 1.0 + 2.0 + settings.complaint.end_of_speech_s
    script = speech(t, 1.0, "我要投诉", 0.9) + speech(rec + 1.0, 2.0, "太差了", 0.9)
    after_confirm = conf + length(
        settings, "complaint_readback_intro", "太差了", "complaint_confirm"
    )
    script += speech(after_confirm + 0.5, 1.0, "神经病", 0.9)
    second = after_confirm + 1.5 + length(settings, "angry_caller") + 0.5
    script += speech(second, 1.0, "滚", 0.9)
    call = run(settings, script)
    ids = [p for _, p in call.plays()]
    assert "angry_caller" in ids and "harassment_warning" not in ids
    assert settings.transfer.angry_turns_count == 2
    assert call.actions(a.Transfer)[0][1].context["reason"] == "angry"
