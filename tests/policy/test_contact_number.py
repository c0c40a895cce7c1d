"""Seed 001 特殊沟通内容 11 / 投诉 4, 6: a callback promise first gets the caller's contact number.

Calling number confirmed by key, another number said digit by digit (in the recogniser's spaced
shape) or keyed, a full read-back, confirmation, and the number on the promise's ticket.
"""

from __future__ import annotations

import datetime as dt

import pytest
from fakes import dtmf, speech
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_support import WORKDAY, length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy import spoken_digits
from ivr.policy.rules import contact_number

CALLER = "138****1234"  # as the session gives it to the policy: masked
OTHER = "13912345678"


def _inquiry(settings, caller: str = CALLER):
    """Key 2, the question, #: the contact-number step starts at the returned time."""
    t = opening(settings) + 0.5
    rec = t + length(settings, "inquiry_ask")
    script = dtmf(t, "2") + speech(rec + 0.5, 2.0, "退货 要 多久", 0.9) + dtmf(rec + 3.0, "#")
    answered = e.Answered(t=0.0, caller=caller, local_time=WORKDAY)
    return rec + 3.0, script, answered


def _played(call, prompt_id):
    return [x for _, x in call.actions(a.Play) if x.prompt_id == prompt_id]


def _attached(call):
    return [u.fields[contact_number.FIELD] for u in call.updates
            if contact_number.FIELD in u.fields]


def _inquiry_request(call):
    return next(rid for rid, t in call.tickets.items() if t.category == "inquiry")


def test_the_calling_number_is_read_back_in_full_and_confirmed_by_key(real_settings):
    start, script, answered = _inquiry(real_settings)
    after = start + length(real_settings, contact_number.USE_CALLER) + 0.5
    call = run(real_settings, script + dtmf(after, "1"), answered=answered)
    (offer,) = _played(call, contact_number.USE_CALLER)
    # The policy sees the caller masked: the session reads the full number in its place.
    assert offer.vars == {"number": contact_number.CALLING_NUMBER}
    assert _attached(call) == [contact_number.CALLING_NUMBER]
    (update,) = [u for u in call.updates if contact_number.FIELD in u.fields]
    assert update.request_id == _inquiry_request(call)
    ids = [p for _, p in call.plays()]
    assert ids.index(contact_number.USE_CALLER) < ids.index("callback_promise")


def test_another_number_said_digit_by_digit_in_the_recognisers_shape(real_settings):
    start, script, answered = _inquiry(real_settings)
    t = start + length(real_settings, contact_number.USE_CALLER) + 0.5
    spoken = "幺 三 九 幺 两 三 四 五 六 七 八"  # how the Chinese model returns it
    script += dtmf(t, "2")
    t += 0.5 + length(real_settings, contact_number.ASK) + 0.5
    script += speech(t, 4.0, spoken, 0.8)
    t += 4.0 + length(real_settings, contact_number.CONFIRM) + 3.0
    script += speech(t, 1.0, "对 的", 0.9)
    call = run(real_settings, script, answered=answered)
    (confirm,) = _played(call, contact_number.CONFIRM)
    assert confirm.vars == {"number": spoken_digits.speak(OTHER, "zh-CN")}
    assert _attached(call) == [OTHER]
    assert "callback_promise" in [p for _, p in call.plays()]


def test_keyed_digits_ended_by_hash_or_by_a_pause(real_settings):
    for end in ("#", ""):
        start, script, _ = _inquiry(real_settings)
        anonymous = e.Answered(t=0.0, caller="anonymous", local_time=WORKDAY)
        t = start + length(real_settings, contact_number.ASK) + 0.5
        script += dtmf(t, OTHER + end, gap_s=0.3)
        t += 0.3 * len(OTHER + end) + real_settings.contact_number.inter_digit_s
        t += length(real_settings, contact_number.CONFIRM) + 1.0
        script += dtmf(t, "1")
        call = run(real_settings, script, answered=anonymous)
        ids = [p for _, p in call.plays()]
        assert contact_number.USE_CALLER not in ids  # no calling number to offer
        assert contact_number.ASK in ids
        assert _attached(call) == [OTHER], end


def test_a_rejected_read_back_asks_again(real_settings):
    start, script, answered = _inquiry(real_settings)
    t = start + length(real_settings, contact_number.USE_CALLER) + 0.5
    script += speech(t, 4.0, "一 三 九 一 二 三 四 五 六 七 九", 0.8)  # misheard last digit
    t += 4.0 + length(real_settings, contact_number.CONFIRM) + 1.0
    script += speech(t, 1.0, "不对", 0.9)
    t += 1.0 + length(real_settings, contact_number.ASK) + 1.0
    script += dtmf(t, OTHER + "#", gap_s=0.3)
    t += 0.3 * 12 + length(real_settings, contact_number.CONFIRM) + 1.0
    script += dtmf(t, "1")
    call = run(real_settings, script, answered=answered)
    confirms = _played(call, contact_number.CONFIRM)
    assert [c.vars["number"] for c in confirms] == [
        spoken_digits.speak("13912345679", "zh-CN"), spoken_digits.speak(OTHER, "zh-CN")]
    assert _attached(call) == [OTHER]


def test_silence_and_a_short_number_end_in_the_promise_without_a_new_number(real_settings):
    start, script, answered = _inquiry(real_settings, caller="anonymous")
    t = start + length(real_settings, contact_number.ASK) + 0.5
    script += speech(t, 1.0, "幺 三 八", 0.9)  # three digits: too short for a phone number
    call = run(real_settings, script, answered=answered)
    ids = [p for _, p in call.plays()]
    assert contact_number.RETRY in ids
    assert ids.count("callback_promise") == 1
    assert _attached(call) == []
    assert call.hangup is not None  # the call still ends


def test_the_number_is_never_in_notes_or_marks(real_settings):
    start, script, answered = _inquiry(real_settings)
    t = start + length(real_settings, contact_number.USE_CALLER) + 0.5
    script += speech(t, 4.0, "幺 三 九 幺 两 三 四 五 六 七 八", 0.8)
    t += 4.0 + length(real_settings, contact_number.CONFIRM) + 3.0
    call = run(real_settings, script + dtmf(t, "1"), answered=answered)
    assert _attached(call) == [OTHER]
    for ticket in call.tickets.values():
        assert OTHER not in repr(ticket)
    assert all(OTHER not in what for _, what in call.policy.ctx.marks)


def test_the_step_listens_with_a_digit_grammar_and_frees_it_after(real_settings):
    start, script, answered = _inquiry(real_settings)
    after = start + length(real_settings, contact_number.USE_CALLER) + 0.5
    call = run(real_settings, script + dtmf(after, "1"), answered=answered)
    listens = [x.grammar for _, x in call.actions(a.Listen)]
    digits = [i for i, g in enumerate(listens) if g and {"幺", "洞", "两", "零"} <= set(g)]
    assert digits, listens
    # ...and frees it after: the next step listens for its own words (keywords or anything).
    assert digits[-1] + 1 < len(listens) and listens[digits[-1] + 1] != listens[digits[-1]]


def test_after_hours_callback_asks_too(real_settings):
    evening = e.Answered(t=0.0, caller=CALLER, local_time=dt.datetime(2026, 3, 3, 21, 0))
    t = opening(real_settings) + 0.5
    script = dtmf(t, real_settings.menu.person_digit)
    call = run(real_settings, script + dtmf(t + 30.0, "1"), answered=evening)
    ids = [p for _, p in call.plays()]
    if "after_hours" not in ids:
        pytest.skip("the configured business hours do not close at 21:00")
    assert ids.index(contact_number.USE_CALLER) < ids.index("after_hours")
    assert _attached(call) == [contact_number.CALLING_NUMBER]


def test_switched_off_the_promise_comes_at_once(settings):
    start, script, answered = _inquiry(settings)
    call = run(settings, script, answered=answered)
    assert (pytest.approx(start), "callback_promise") in call.plays()


def test_a_masked_or_anonymous_caller():
    from ivr.config import load_settings

    ctx = type("Ctx", (), {"settings": load_settings()})()
    assert contact_number._plausible(ctx, "138****1234") == contact_number.CALLING_NUMBER
    assert contact_number._plausible(ctx, "+86 138****1234") == contact_number.CALLING_NUMBER
    for shown in ("anonymous", "", "12*", "alice"):
        assert contact_number._plausible(ctx, shown) is None


def test_log_descriptions_hide_the_number():
    from ivr.session.redaction import describe

    play = a.Play(prompt_id=contact_number.CONFIRM, vars={"number": "幺三九，幺二三四，五六七八"})
    update = a.UpdateTicket(request_id="inquiry-1", fields={contact_number.FIELD: OTHER})
    assert "幺三九" not in describe(play) and OTHER not in describe(update)


def test_english_digits_by_voice(real_settings):
    t = opening(real_settings) + 0.5
    answered = e.Answered(t=0.0, caller="anonymous", local_time=WORKDAY)
    rec = t + length(real_settings, "inquiry_ask", locale="en-US")
    script = dtmf(t, "2") + speech(rec + 0.5, 2.0, "how long does a refund take", 0.9)
    start = rec + 3.0
    script += dtmf(start, "#")
    t = start + length(real_settings, contact_number.ASK, locale="en-US") + 0.5
    script += speech(t, 4.0, "five five five oh one double nine", 0.8)
    t += 4.0 + length(real_settings, contact_number.CONFIRM, locale="en-US") + 3.0
    script += speech(t, 1.0, "yes", 0.9)
    call = run(real_settings, script, locale="en-US", answered=answered)
    (confirm,) = _played(call, contact_number.CONFIRM)
    assert confirm.vars == {"number": "five five five zero, one nine nine"}
    assert _attached(call) == ["5550199"]


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="0123456789", min_size=7, max_size=15),
       st.sampled_from(["#", ""]), st.booleans())
def test_any_keyed_number_in_range_is_what_reaches_the_ticket(number, end, spoken):
    """Keyed (with or without #) or said in the recogniser's shape, read back, confirmed by 1."""
    real = _REAL
    start, script, _ = _inquiry(real)
    anonymous = e.Answered(t=0.0, caller="anonymous", local_time=WORKDAY)
    t = start + length(real, contact_number.ASK) + 0.5
    if spoken:
        words = " ".join("洞幺两三四五六拐八勾"[int(d)] for d in number)
        script += speech(t, 5.0, words, 0.8)
        t += 5.0  # the read-back starts as the caller stops
    else:
        script += dtmf(t, number + end, gap_s=0.3)
        t += 0.3 * (len(number + end) - 1)  # the last key
        if not end:
            t += real.contact_number.inter_digit_s
    call = run(real, script + dtmf(t + 0.5, "1"), answered=anonymous)  # "1" over the read-back
    (confirm,) = _played(call, contact_number.CONFIRM)
    assert confirm.vars == {"number": spoken_digits.speak(number, "zh-CN")}
    assert _attached(call) == [number]


_REAL = load_settings()
