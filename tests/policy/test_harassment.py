"""Seed 001 特殊沟通内容 6: harassment warnings, the final phrase, 5 s, hang up, ticket."""

from __future__ import annotations

import datetime as dt

import pytest
from fakes import speech
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.tickets.types import TicketDraft

OPENED_AT = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.timezone.utc)


def abuse(t: float):
    return speech(t, 1.0, "神经病", 0.9)


def test_abuse_gets_three_warnings_then_final_then_hang_up_and_ticket(settings):
    cfg = settings.harassment
    t = opening(settings) + 1.0
    script = []
    warn = length(settings, "harassment_warning")
    times = []
    for _ in range(cfg.warning_count + 1):
        script += abuse(t)
        times.append(t + 1.0)
        t += 1.0 + warn + 1.0
    call = run(settings, script)
    plays = call.plays()
    warnings = [tt for tt, p in plays if p == "harassment_warning"]
    assert warnings == pytest.approx(times[: cfg.warning_count])
    final = [tt for tt, p in plays if p == "harassment_final"]
    assert final == pytest.approx([times[-1]])
    assert call.reason == "harassment"
    assert call.end_t == pytest.approx(
        times[-1] + length(settings, "harassment_final") + cfg.hangup_after_final_s, abs=1e-3
    )
    (ticket,) = [x for x in call.tickets.values() if x.category == "harassment"]
    assert f"{times[0]:.1f}s harassment" in ticket.notes
    assert f"hang-up at {call.end_t:.1f}s" in ticket.notes


def test_silence_after_a_warning_counts_as_staying_on_the_line(settings):
    call = run(settings, abuse(opening(settings) + 1.0))
    assert [p for _, p in call.plays()].count(
        "harassment_warning"
    ) == settings.harassment.warning_count
    assert call.reason == "harassment"


def test_warning_count_follows_config():
    cfg = load_settings(overrides={"harassment": {"warning_count": 1}})
    call = run(cfg, abuse(opening(cfg) + 1.0))
    assert [p for _, p in call.plays()].count("harassment_warning") == 1
    assert call.reason == "harassment"


def test_turning_to_business_leaves_the_ladder(settings):
    t = opening(settings) + 1.0
    back = t + 1.0 + length(settings, "harassment_warning") + 1.0
    call = run(settings, abuse(t) + speech(back, 1.0, "我要投诉", 0.9))
    assert "complaint_apology" in [p for _, p in call.plays()]
    assert call.reason != "harassment"


def test_repeated_non_business_talk_is_harassment(settings):
    t = opening(settings) + 1.0
    script = speech(t, 1.0, "今天天气不错", 0.9)
    t2 = t + 1.0 + length(settings, "repeat_please", "menu") + 1.0
    script += speech(t2, 1.0, "你吃饭了吗", 0.9)
    call = run(settings, script)
    assert settings.dialogue.intent_attempts_count == 2
    assert (pytest.approx(t2 + 1.0), "harassment_warning") in call.plays()


def test_blacklisted_caller_starts_at_the_warning(settings):
    call = run(settings, answered=e.Answered(t=0.0, blacklisted=True))
    assert call.plays()[0] == (0.0, "harassment_warning")
    assert call.reason == "harassment"
    (ticket,) = call.tickets.values()
    # A repeat harasser's ticket goes to the front of the desk, with a severity the register
    # accepts (it was "high", which the register refused: the ticket was lost).
    assert ticket.severity == "urgent"
    TicketDraft(
        call_id="c1", category=ticket.category, severity=ticket.severity, opened_at=OPENED_AT
    ).validate()


def test_blacklisted_caller_rejected_when_configured():
    cfg = load_settings(overrides={"harassment": {"blacklist_treatment": "reject"}})
    call = run(cfg, answered=e.Answered(t=0.0, blacklisted=True))
    assert [p for _, p in call.plays()] == ["harassment_final"]
    assert call.reason == "blacklisted"
    assert call.actions(a.Hangup)[0][0] == pytest.approx(length(cfg, "harassment_final"))
