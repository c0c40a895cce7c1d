"""Issue 13 defect 8: the first silent pause counts from the greeting (000 第十六条 3).

"您好!请问有什么可以帮助您?" 稍停5秒还是无声 -> "您好,请问有什么可以帮助您?": the re-prompt comes
silent_call.after_greeting_s after the greeting ends, not after a DTMF menu. The menu is
offered where it does not break that: after the re-prompt, and after an answer we could not use.
"""

from __future__ import annotations

import pytest
from fakes import dtmf, speech
from policy_support import length, run

from ivr.config import load_settings


def test_first_reprompt_comes_five_seconds_after_the_greeting(settings):
    call = run(settings)
    greeting_end = length(settings, "greeting")
    reprompt = [t for t, p in call.plays() if p == "silent_reprompt"]
    assert reprompt == [pytest.approx(greeting_end + settings.silent_call.after_greeting_s)]
    assert call.plays()[1][1] == "silent_reprompt"


def test_menu_is_offered_after_the_reprompt(settings):
    assert settings.greeting.menu_after_greeting
    call = run(settings)
    ids = [p for _, p in call.plays()]
    assert ids[:3] == ["greeting", "silent_reprompt", "menu"]
    cfg = settings.silent_call
    notice_t = (length(settings, "greeting") + cfg.after_greeting_s
                + length(settings, "silent_reprompt", "menu") + cfg.after_reprompt_s)
    assert (pytest.approx(notice_t), "silent_final_notice") in call.plays()


def test_menu_off_leaves_the_seed_ladder_alone():
    cfg = load_settings(overrides={"greeting": {"menu_after_greeting": False}})
    call = run(cfg)
    assert "menu" not in [p for _, p in call.plays()]


def test_keys_work_during_the_greeting_without_hearing_the_menu(settings):
    call = run(settings, dtmf(2.0, settings.menu.complaint_digit))
    assert "complaint_apology" in [p for _, p in call.plays()]


def test_unusable_answer_gets_the_menu(settings):
    t = length(settings, "greeting") + 1.0
    call = run(settings, speech(t, 1.0, "嗯那个", 0.9))
    ids = [p for _, p in call.plays()]
    assert ids[1:3] == ["repeat_please", "menu"]
