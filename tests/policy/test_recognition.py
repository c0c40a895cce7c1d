"""Recognition where it pays, and a recogniser that fails mid-call (issue 16)."""

from __future__ import annotations

from fakes import dtmf, speech
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy.listening import keyword_grammar


def test_dialogue_steps_listen_for_the_keywords_the_opening_for_anything(settings):
    t = opening(settings) + 0.5
    call = run(settings, speech(t, 1.5, "我要咨询", 0.9) + dtmf(t + 40.0, "0"))
    listens = [(at, x.grammar) for at, x in call.actions(a.Listen)]
    keywords = keyword_grammar(settings, "zh-CN")
    assert "投诉" in keywords and "咨询" in keywords
    assert not any(w in keywords for w in settings.keywords("zh-CN")["surname_intro"])
    # Until the caller first speaks (names are said there) recognition keeps full vocabulary;
    # a grammar told mid-segment applies from the next segment (ivr.media.asr).
    assert listens and listens[0][0] >= t
    assert any(g == keywords for _, g in listens)


def test_full_vocabulary_everywhere_when_live_grammar_is_off():
    off = load_settings(overrides={"asr": {"live_grammar": "off"},
                                   "contact_number": {"enabled": False}})
    t = opening(off) + 0.5
    call = run(off, speech(t, 1.5, "我要咨询", 0.9) + dtmf(t + 40.0, "0"))
    assert call.actions(a.Listen) == []


def test_a_recogniser_failure_offers_the_keypad_and_the_call_goes_on(settings):
    # During the greeting: it finishes, then the caller hears that speech is not understood
    # now and the menu, and a digit still works.
    fail_at = 1.0
    after = opening(settings) + length(settings, "asr_unavailable") + 0.5
    script = [e.RecognizerFailed(t=fail_at, cause="ConnectionError"),
              *dtmf(after, settings.menu.complaint_digit)]
    call = run(settings, script)
    plays = [p for at, p in call.plays() if at >= fail_at]
    assert plays[:2] == ["asr_unavailable", "menu"], call.format()
    assert "complaint_apology" in plays
    assert any("speech recognition lost" in what for _, what in call.policy.ctx.marks)
