"""Issue 13 defect 4: every spoken promise comes from the SLA calendar of the ticket's due time.

Seed 001 特殊沟通内容 11: "我们会于**小时内有专人和您联系…(注意,需严格按照承诺时间回复客户)";
000 第十条: a complaint is answered "于接到申诉/投诉的当日内". The official calendar (清明 2026:
04-04..04-06; 调休 Saturday 2026-02-14) comes from chinesecalendar (ivr/tickets/sla.py).
"""

from __future__ import annotations

import datetime as dt

from fakes import dtmf, speech
from policy_support import length, opening, run

from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy.promise import make_promise
from ivr.tickets.sla import sla_calendar


def _inquiry(settings, local: dt.datetime):
    t = opening(settings) + 0.5
    rec = t + length(settings, "inquiry_ask")
    script = dtmf(t, settings.menu.inquiry_digit) + speech(rec + 0.5, 2.0, "", None)
    script += dtmf(rec + 3.0, "#")
    call = run(settings, script, answered=e.Answered(t=0.0, local_time=local))
    (promise,) = [x for _, x in call.actions(a.Play) if x.prompt_id == "callback_promise"]
    ((opened_t, _ticket),) = [(t, x) for t, x in call.actions(a.OpenTicket)
                             if x.category == "inquiry"]
    return promise.vars["when"], local + dt.timedelta(seconds=opened_t)


def test_friday_evening_inquiry_is_promised_for_the_next_working_day(settings):
    when, opened = _inquiry(settings, dt.datetime(2026, 3, 6, 17, 45))
    due = sla_calendar(settings).due("inquiry", "normal", opened)
    assert due is not None and due.date() == dt.date(2026, 3, 9) and due.hour == 9
    assert when == "在下一个工作日上午10点前"  # never "在1小时内" on a Friday evening


def test_inside_opening_hours_the_hour_is_promised(settings):
    when, _ = _inquiry(settings, dt.datetime(2026, 3, 3, 14, 0))
    assert when == "在1小时内"


def test_qingming_is_not_a_working_day(settings):
    when, opened = _inquiry(settings, dt.datetime(2026, 4, 3, 17, 45))
    due = sla_calendar(settings).due("inquiry", "normal", opened)
    assert due is not None and due.date() == dt.date(2026, 4, 7)
    assert when == "在下一个工作日上午10点前"


def test_make_up_saturday_is_a_working_day(settings):
    cal = sla_calendar(settings)
    assert cal.is_working_day(dt.date(2026, 2, 14))  # 调休: Saturday worked
    assert not cal.is_working_day(dt.date(2026, 2, 16))  # 春节
    call = run(settings, dtmf(opening(settings) + 0.5, settings.menu.person_digit),
               answered=e.Answered(t=0.0, local_time=dt.datetime(2026, 2, 14, 10, 0)))
    assert call.actions(a.Transfer), "the desk is open on a make-up working day"


def test_a_holiday_morning_gets_the_after_hours_callback(settings):
    call = run(settings, dtmf(opening(settings) + 0.5, settings.menu.person_digit),
               answered=e.Answered(t=0.0, local_time=dt.datetime(2026, 4, 6, 10, 0)))
    (played,) = [x for _, x in call.actions(a.Play) if x.prompt_id == "after_hours"]
    assert played.vars == {"when": "在24小时内"}  # callbacks: 24 wall-clock hours (config)
    assert not call.actions(a.Transfer)


def test_complaint_promise_is_the_same_working_day(settings):
    """000 第十条: 当日内 -> by today's closing time; after hours -> the next working day's."""
    cal = sla_calendar(settings)
    during = make_promise("zh-CN", dt.datetime(2026, 3, 6, 17, 45), "complaint", "normal", cal)
    assert during.when == "在今天下午6点前"
    after = make_promise("zh-CN", dt.datetime(2026, 3, 6, 19, 0), "complaint", "normal", cal)
    assert after.when == "在下一个工作日下午6点前"
    assert after.due is not None and after.due.date() == dt.date(2026, 3, 9)


def test_english_wording(settings):
    cal = sla_calendar(settings)
    p = make_promise("en-US", dt.datetime(2026, 3, 6, 17, 45), "inquiry", "normal", cal, 1)
    assert p.when == "by 10 a.m. on the next working day"


def test_promise_never_before_the_due_time(settings):
    """The spoken time is the due time rounded up: keeping the ticket keeps the promise."""
    cal = sla_calendar(settings)
    start = dt.datetime(2026, 3, 2, 0, 7)
    for step in range(0, 7 * 24 * 4):
        now = start + dt.timedelta(minutes=15 * step)
        for key in ("inquiry", "callback", "complaint", "complex"):
            p = make_promise("zh-CN", now, key, "normal", cal)
            assert p.due is not None and p.hours >= 1
            assert p.when, (now, key)


def test_every_promise_phrase_says_the_computed_time(settings):
    """No catalogue phrase promises a fixed number of hours any more."""
    for locale in ("zh-CN", "en-US"):
        catalogue = settings.prompts[locale]
        for pid in ("callback_promise", "complaint_promise", "transfer_failed", "after_hours"):
            assert "{when}" in catalogue[pid].text and "{hours}" not in catalogue[pid].text


def test_a_reply_due_at_the_end_of_the_day_is_promised_for_today_not_tomorrow_midnight():
    """A complaint answered the same working day on a line open until 23:59 was told
    "在明天凌晨12点前" (ambiguous: most callers hear "tomorrow"); it is "今天24点前"."""
    from ivr.policy.promise import spoken_when

    class AlwaysOpen:
        def is_working_day(self, day: dt.date) -> bool:
            return True

        def is_open(self, moment: dt.datetime) -> bool:
            return True

        def due(self, key: str, severity: str, opened: dt.datetime) -> dt.datetime | None:
            return None

    now = dt.datetime(2026, 11, 30, 13, 30)
    due = dt.datetime(2026, 11, 30, 23, 59)
    assert spoken_when("zh-CN", now, due, AlwaysOpen()) == "在今天24点前"
    assert spoken_when("en-US", now, due, AlwaysOpen()) == "by midnight today"
    friday = dt.datetime(2026, 11, 27, 23, 59)  # from Thursday: still "明天", at 24:00
    assert spoken_when("zh-CN", dt.datetime(2026, 11, 26, 20, 0), friday, AlwaysOpen()) == \
        "在明天24点前"
