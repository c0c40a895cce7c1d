"""Issue 13 business calendar: official holidays and 调休 from chinesecalendar, company days on top.

The hand-written 2026 list lacked 清明, 端午, most of 春节 and 国庆 and every make-up working day:
promises fell on closed days. Config: business.official_calendar, business.holidays (company
days off), business.extra_working_days (company days on).
"""

from __future__ import annotations

import datetime as dt

import pytest

from ivr.config import load_settings
from ivr.tickets.sla import Calendar, Commitment, official_coverage, promised_reply_by, sla_calendar

TZ = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2026, 4, 6), False),  # 清明 (Monday)
        (dt.date(2026, 6, 19), False),  # 端午
        (dt.date(2026, 2, 20), False),  # 春节 (Friday)
        (dt.date(2026, 10, 7), False),  # 国庆
        (dt.date(2026, 2, 14), True),  # 调休 Saturday
        (dt.date(2026, 9, 20), True),  # 调休 Sunday
        (dt.date(2026, 3, 7), False),  # an ordinary Saturday
        (dt.date(2026, 3, 9), True),  # an ordinary Monday
    ],
)
def test_official_days(day, working):
    assert Calendar(official="cn").is_working_day(day) is working


def test_company_days_override_the_official_calendar():
    cal = Calendar(official="cn", holidays=frozenset({dt.date(2026, 3, 9)}),
                   extra_working_days=frozenset({dt.date(2026, 3, 7)}))
    assert not cal.is_working_day(dt.date(2026, 3, 9))
    assert cal.is_working_day(dt.date(2026, 3, 7))


def test_without_the_official_calendar_only_weekdays_count():
    assert Calendar(official="none").is_working_day(dt.date(2026, 4, 6))


def test_a_year_the_package_does_not_know_keeps_the_fixed_statutory_holidays():
    """The installed chinesecalendar stops at 2026, and 2027 starts in a month: a complaint on
    2026-12-31 was promised for 元旦 (a Friday) because the year fell back to plain weekdays.
    The fixed-date statutory days (全国年节及纪念日放假办法: 元旦 1-1, 劳动节 5-1/5-2, 国庆
    10-1..10-3) are known without the package; the lunar ones and 调休 are not, and ivr doctor
    says to list them in business.holidays."""
    assert official_coverage(2026)
    future = 2100
    assert not official_coverage(future)
    cal = Calendar(official="cn")
    for day in (dt.date(2027, 1, 1), dt.date(2027, 5, 3) - dt.timedelta(days=2),
                dt.date(2027, 10, 1), dt.date(2100, 10, 1)):
        assert not official_coverage(day.year) and not cal.is_working_day(day), day
    assert cal.is_working_day(dt.date(2100, 1, 4)) is (dt.date(2100, 1, 4).isoweekday() <= 5)
    assert Calendar(official="none").is_working_day(dt.date(2027, 1, 1))  # Friday, no calendar


def test_a_promise_made_on_new_years_eve_2026_skips_new_years_day():
    cal = Calendar(official="cn", timezone="Asia/Shanghai")
    evening = dt.datetime(2026, 12, 31, 19, 0, tzinfo=TZ)
    promised = promised_reply_by(evening, Commitment(reply_same_working_day=True), cal)
    assert promised.date() == dt.date(2027, 1, 4)  # Friday 元旦 off, then the weekend


def test_same_working_day_commitment():
    """000 第十条: "于接到申诉/投诉的当日内" -> by the closing time of that (working) day."""
    cal = Calendar(official="cn", timezone="Asia/Shanghai")
    same_day = Commitment(reply_same_working_day=True)
    friday_4pm = dt.datetime(2026, 4, 3, 16, 0, tzinfo=TZ)
    assert promised_reply_by(friday_4pm, same_day, cal).replace(tzinfo=None) == dt.datetime(
        2026, 4, 3, 18, 0)
    friday_7pm = dt.datetime(2026, 4, 3, 19, 0, tzinfo=TZ)
    # 清明 Saturday to Monday: the next working day is Tuesday 04-07.
    assert promised_reply_by(friday_7pm, same_day, cal).replace(tzinfo=None) == dt.datetime(
        2026, 4, 7, 18, 0)


def test_config_keys_reach_the_register_calendar():
    settings = load_settings(overrides={"business": {
        "extra_working_days": ["2026-03-07"], "official_calendar": "cn"}})
    cal = sla_calendar(settings)
    assert cal.is_working_day(dt.date(2026, 3, 7))
    assert not cal.is_working_day(dt.date(2026, 4, 6))
    off = load_settings(overrides={"business": {"official_calendar": "none"}})
    assert sla_calendar(off).is_working_day(dt.date(2026, 4, 6))


def test_a_commitment_needs_exactly_one_kind():
    with pytest.raises(ValueError, match="exactly one"):
        Commitment(reply_within_hours=24, reply_same_working_day=True)


def test_doctor_warns_when_the_coming_year_is_not_covered():
    from ivr.doctor import check_calendar

    settings = load_settings()
    assert check_calendar(settings, today=dt.date(2025, 6, 1)).status == "OK"  # 2025 + 2026
    late = check_calendar(settings, today=dt.date(2026, 12, 1))  # 2027 not in the package
    assert late.status == "WARN" and "2027" in late.detail
    off = load_settings(overrides={"business": {"official_calendar": "none"}})
    assert check_calendar(off, today=dt.date(2026, 12, 1)).status == "OK"
