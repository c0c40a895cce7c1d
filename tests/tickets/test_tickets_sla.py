"""Promised reply times across weekends, holidays and outside business hours (pure)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.tickets.sla import (
    Calendar,
    Commitment,
    add_business_time,
    commitment_for,
    next_opening,
    promised_reply_by,
)

SH = ZoneInfo("Asia/Shanghai")
# 2026-10-01 (Thu) and 2026-10-02 (Fri) are holidays in this calendar.
CAL = Calendar(holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}))
ONE_WORKING_HOUR = Commitment(reply_within_hours=1, count_business_hours_only=True)
DAY_24H = Commitment(reply_within_hours=24)
THREE_WORKING_DAYS = Commitment(reply_within_working_days=3)


def local(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def test_inside_hours_on_a_weekday_is_one_hour_later() -> None:
    assert promised_reply_by(local(2026, 11, 18, 10, 15), ONE_WORKING_HOUR, CAL) == local(
        2026, 11, 18, 11, 15
    )


def test_late_afternoon_rolls_into_next_morning() -> None:
    # Wednesday 17:30: 30 minutes today, 30 minutes on Thursday from 09:00.
    assert promised_reply_by(local(2026, 11, 18, 17, 30), ONE_WORKING_HOUR, CAL) == local(
        2026, 11, 19, 9, 30
    )


def test_friday_evening_waits_for_monday() -> None:
    assert promised_reply_by(local(2026, 11, 20, 20, 0), ONE_WORKING_HOUR, CAL) == local(
        2026, 11, 23, 10, 0
    )


def test_saturday_call_waits_for_monday() -> None:
    assert promised_reply_by(local(2026, 11, 21, 11, 0), ONE_WORKING_HOUR, CAL) == local(
        2026, 11, 23, 10, 0
    )


def test_before_opening_counts_from_opening() -> None:
    assert promised_reply_by(local(2026, 11, 18, 6, 0), ONE_WORKING_HOUR, CAL) == local(
        2026, 11, 18, 10, 0
    )


def test_holidays_are_skipped() -> None:
    # Wednesday 2026-09-30 17:45 -> 15 minutes left; Thu/Fri holidays, weekend -> Monday 10-05.
    assert promised_reply_by(local(2026, 9, 30, 17, 45), ONE_WORKING_HOUR, CAL) == local(
        2026, 10, 5, 9, 45
    )


def test_wall_clock_hours_ignore_the_calendar() -> None:
    opened = local(2026, 11, 20, 20, 0)  # Friday evening
    assert promised_reply_by(opened, DAY_24H, CAL) == local(2026, 11, 21, 20, 0)


def test_three_working_days_skip_weekend_and_holidays() -> None:
    # Tuesday 2026-09-29 10:00 + 27 business hours: Tue 8h, Wed 9h, (Thu/Fri holiday,
    # weekend), Mon 9h -> Tue 2026-10-06 10:00.
    assert promised_reply_by(local(2026, 9, 29, 10, 0), THREE_WORKING_DAYS, CAL) == local(
        2026, 10, 6, 10, 0
    )


def test_working_days_from_outside_hours_end_at_a_closing_time() -> None:
    # Friday night: counting starts Monday 09:00; 3 x 9 h ends Wednesday 18:00, not Thursday.
    assert promised_reply_by(local(2026, 11, 20, 22, 0), THREE_WORKING_DAYS, CAL) == local(
        2026, 11, 25, 18, 0
    )


def test_utc_input_is_read_in_the_business_zone() -> None:
    opened = datetime(2026, 11, 18, 9, 30, tzinfo=timezone.utc)  # 17:30 in Shanghai
    assert promised_reply_by(opened, ONE_WORKING_HOUR, CAL) == local(2026, 11, 19, 9, 30)


def test_no_commitment_means_no_promise() -> None:
    assert promised_reply_by(local(2026, 11, 18, 10), None, CAL) is None


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        promised_reply_by(datetime(2026, 11, 18, 10), DAY_24H, CAL)


def test_complex_severity_uses_the_complex_row() -> None:
    table = {"complaint": DAY_24H, "complex": THREE_WORKING_DAYS}
    assert commitment_for("complaint", "complex", table) is THREE_WORKING_DAYS
    assert commitment_for("complaint", "normal", table) is DAY_24H
    assert commitment_for("harassment", "normal", table) is None


def test_bad_calendars_and_commitments_are_refused() -> None:
    with pytest.raises(ValueError, match="opens_at"):
        Calendar(opens_at=time(18), closes_at=time(9))
    with pytest.raises(ValueError, match=r"1\.\.7"):
        Calendar(working_weekdays=(0, 8))
    with pytest.raises(ValueError, match="exactly one"):
        Commitment(reply_within_hours=1, reply_within_working_days=1)


def _business_seconds_between(a: datetime, b: datetime, cal: Calendar) -> float:
    """Brute-force: count open minutes between a and b (test oracle)."""
    total = 0
    t = a.astimezone(cal.tz).replace(second=0, microsecond=0)
    step = timedelta(minutes=1)
    while t < b:
        if cal.is_open(t):
            total += 60
        t += step
    return total


@settings(max_examples=40, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 9, 25), max_value=datetime(2026, 10, 10)).map(
        lambda d: d.replace(second=0, microsecond=0, tzinfo=SH)
    ),
    minutes=st.integers(min_value=1, max_value=9 * 60 * 3),
)
def test_business_time_added_equals_business_time_elapsed(start: datetime, minutes: int) -> None:
    end = add_business_time(start, timedelta(minutes=minutes), CAL)
    assert end > start
    assert _business_seconds_between(start, end, CAL) == minutes * 60
    # The deadline is inside opening hours or exactly at a closing time, never on a day off.
    local_end = end.astimezone(SH)
    assert CAL.is_working_day(local_end.date())
    assert CAL.opens_at < local_end.time() <= CAL.closes_at


def test_next_opening_on_a_holiday_weekend_chain() -> None:
    assert next_opening(local(2026, 10, 1, 12), CAL) == local(2026, 10, 5, 9)
