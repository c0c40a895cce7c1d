"""Seed 002: non-business talk is harassment evidence only after the caller was steered back."""

from __future__ import annotations

from fakes import speech
from policy_support import length, opening, run

from ivr.config import load_settings

CHAT = "美女,交个朋友吧"


def test_first_non_business_talk_is_steered_back_not_warned(settings):
    call = run(settings, speech(opening(settings) + 1.0, 1.5, CHAT, 0.9))
    plays = [p for _, p in call.plays()]
    assert "steer_to_business" in plays and "harassment_warning" not in plays


def test_non_business_again_after_steering_is_evidence(settings):
    t = opening(settings) + 1.0
    t2 = t + 1.5 + length(settings, "steer_to_business") + 1.0
    call = run(settings, speech(t, 1.5, CHAT, 0.9) + speech(t2, 1.5, "陪我聊聊天嘛", 0.9))
    assert call.reason == "harassment"
    (ticket,) = [x for x in call.tickets.values() if x.category == "harassment"]
    assert "evidence=non_business" in ticket.notes


def test_business_after_steering_is_served(settings):
    t = opening(settings) + 1.0
    t2 = t + 1.5 + length(settings, "steer_to_business") + 1.0
    call = run(settings, speech(t, 1.5, CHAT, 0.9) + speech(t2, 1.5, "我要投诉", 0.9))
    assert "complaint_apology" in [p for _, p in call.plays()]
    assert call.reason != "harassment"


def test_the_word_list_comes_from_config():
    cfg = load_settings(overrides={"intents": {"zh-CN": {"non_business": ["打麻将"]}}})
    call = run(cfg, speech(opening(cfg) + 1.0, 1.5, "一起打麻将吧", 0.9))
    assert "steer_to_business" in [p for _, p in call.plays()]
    call = run(cfg, speech(opening(cfg) + 1.0, 1.5, CHAT, 0.9))
    assert "steer_to_business" not in [p for _, p in call.plays()]
