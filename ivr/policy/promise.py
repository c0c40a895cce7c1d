"""True promises: what the caller is told comes from the same SLA calendar as the ticket's due time.

Issue 13 defect 4: "1小时内有专人和您联系" was said on Friday 17:45 while the ticket was due
Monday 09:45. The policy asks a `BusinessCalendar` (built from config by the session, the
simulator and the tests from ivr.tickets.sla; the policy stays pure) when the reply is due, and
says it the way a representative would:

- the due time is exactly the commitment's N hours away (nothing closed in between) ->
  "在N小时内" / "within N hours";
- otherwise the due time, rounded UP to the hour, with its day: 今天 / 明天 / 下一个工作日 /
  M月D日 ("我们会在下一个工作日上午10点前…"). Rounding up keeps the spoken promise at or after
  the ticket's due time, so meeting the ticket keeps the promise.

Seed 001 特殊沟通内容 11: "注意,需严格按照承诺时间回复客户,详细时间参照回复承诺时间表".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


class BusinessCalendar(Protocol):
    """Working days and promised reply times, as the ticket register computes them."""

    def is_working_day(self, day: dt.date) -> bool: ...

    def is_open(self, moment: dt.datetime) -> bool: ...

    def due(self, key: str, severity: str, opened: dt.datetime) -> dt.datetime | None:
        """When the reply is due for commitment `key` (a category) opened at `opened`."""


@dataclass(frozen=True)
class Promise:
    due: dt.datetime | None
    hours: int  # whole hours until the due time (rounded up; the {hours} variable)
    when: str  # the spoken due time, e.g. "在下一个工作日上午10点前"


def _ceil_hour(moment: dt.datetime) -> dt.datetime:
    top = moment.replace(minute=0, second=0, microsecond=0)
    return top if top == moment else top + dt.timedelta(hours=1)


def _next_working_day(day: dt.date, calendar: BusinessCalendar) -> dt.date | None:
    for i in range(1, 60):
        candidate = day + dt.timedelta(days=i)
        if calendar.is_working_day(candidate):
            return candidate
    return None


def _zh_clock(hour: int) -> str:
    if hour == 0:
        return "凌晨12点"
    if hour < 12:
        return f"上午{hour}点"
    if hour == 12:
        return "中午12点"
    if hour <= 18:
        return f"下午{hour - 12}点"
    return f"晚上{hour - 12}点"


def _en_clock(hour: int) -> str:
    if hour == 0:
        return "midnight"
    if hour == 12:
        return "noon"
    return f"{hour} a.m." if hour < 12 else f"{hour - 12} p.m."


def within_hours(locale: str, hours: int) -> str:
    """"在N小时内" / "within N hours"."""
    if locale.startswith("zh"):
        return f"在{hours}小时内"
    return "within 1 hour" if hours == 1 else f"within {hours} hours"


def spoken_when(locale: str, now: dt.datetime, due: dt.datetime,
                calendar: BusinessCalendar, nominal_hours: float | None = None) -> str:
    """The due time as said to the caller (both times local, same zone). `nominal_hours`: the
    commitment's hours, said as such only when the due time is exactly that far away."""
    delta_h = (due - now).total_seconds() / 3600.0
    if (nominal_hours is not None and nominal_hours == int(nominal_hours)
            and abs(delta_h - nominal_hours) < 1e-6):
        return within_hours(locale, int(nominal_hours))
    by = _ceil_hour(due)
    day = by.date()
    midnight = by.hour == 0  # said as the END of the day before ("今天24点"), never "明天凌晨"
    if midnight:
        day -= dt.timedelta(days=1)
    zh = locale.startswith("zh")
    if day == now.date():
        label = "今天" if zh else "today"
    elif day == now.date() + dt.timedelta(days=1):
        label = "明天" if zh else "tomorrow"
    elif day == _next_working_day(now.date(), calendar):
        label = "下一个工作日" if zh else "on the next working day"
    else:
        label = f"{day.month}月{day.day}日" if zh else f"on {day.day} {day:%B}"
    if zh:
        return f"在{label}{'24点' if midnight else _zh_clock(by.hour)}前"
    return f"by {_en_clock(by.hour)} {label}"


def make_promise(locale: str, now: dt.datetime, key: str, severity: str,
                 calendar: BusinessCalendar, nominal_hours: float | None = None) -> Promise:
    """The promise for a ticket of commitment `key` opened `now` (local time)."""
    due = calendar.due(key, severity, now)
    if due is None:
        return Promise(None, 0, "")
    due = due.astimezone(now.tzinfo) if now.tzinfo is not None else due.replace(tzinfo=None)
    hours = max(1, int(-(-(due - now).total_seconds() // 3600)))
    return Promise(due, hours, spoken_when(locale, now, due, calendar, nominal_hours))
