"""Business calendar and the promised reply time (pure: no clock, no I/O).

The seeds promise a first reply "within the working hour", ordinary issues within 24 hours and
complex ones within 3 working days; the table of promises is config [commitments]
(ivr.config.Commitment, default_commitments()). A commitment counts either wall-clock hours or
business time (hours inside opening hours on working days that are not holidays). Working days
are counted as business time too: 3 working days = 3 x the length of a business day, counted
from the moment the ticket was opened (or from the next opening if it was opened outside
business hours).

Working days (issue 13, business calendar): the official Chinese calendar (the maintained
`chinesecalendar` package: 法定节假日 and the 调休 make-up working days) when business.official
is "cn", then the company's own days from config on top: business.holidays (closed) and
business.extra_working_days (open). Years the package does not cover fall back to the weekday
rule; `ivr doctor` warns about them (official_coverage).
Seed 000 第十条: a complaint is answered "于接到申诉/投诉的当日内": commitment
reply_same_working_day (by the closing time of the day it came in, or of the next working day
when it came in after hours).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The promised-reply table is config's (seed 003): one model, one default table, no copy here.
from ivr.config import Commitment as Commitment
from ivr.config import default_commitments as default_commitments

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_OPENS_AT = time(9, 0)
DEFAULT_CLOSES_AT = time(18, 0)
DEFAULT_WORKING_WEEKDAYS = (1, 2, 3, 4, 5)  # ISO: Monday = 1
MAX_SEARCH_DAYS = 3660  # a calendar with no working day at all must not loop forever


@dataclass(frozen=True)
class Calendar:
    """Opening hours, working weekdays (ISO 1..7) and holidays, in one timezone."""

    timezone: str = DEFAULT_TIMEZONE
    opens_at: time = DEFAULT_OPENS_AT
    closes_at: time = DEFAULT_CLOSES_AT
    working_weekdays: tuple[int, ...] = DEFAULT_WORKING_WEEKDAYS
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)
    official: str = "none"  # "cn": chinesecalendar's holidays and make-up days

    def __post_init__(self) -> None:
        if not self.opens_at < self.closes_at:
            raise ValueError(
                f"business.opens_at ({self.opens_at}) must be before closes_at ({self.closes_at})"
            )
        bad = [d for d in self.working_weekdays if d not in range(1, 8)]
        if bad or not self.working_weekdays:
            raise ValueError(
                f"business.working_weekdays must be ISO weekdays 1..7 (Monday = 1), got "
                f"{list(self.working_weekdays)}"
            )
        ZoneInfo(self.timezone)  # raises for an unknown zone

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def day_length(self) -> timedelta:
        day = date(2000, 1, 1)
        return _combine(day, self.closes_at) - _combine(day, self.opens_at)

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.extra_working_days:
            return True
        official = official_day(day) if self.official == "cn" else None
        if official is not None:
            return official
        return day.isoweekday() in self.working_weekdays

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz)
        return self.is_working_day(local.date()) and self.opens_at <= local.time() < self.closes_at


# 全国年节及纪念日放假办法 (2024 revision): the statutory days off with a fixed solar date. They
# hold for a year chinesecalendar does not cover yet; the lunar ones (春节, 清明, 端午, 中秋) and
# the 调休 make-up days are announced yearly, so `ivr doctor` asks for them in business.holidays.
FIXED_STATUTORY_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


def official_day(day: date) -> bool | None:
    """The official calendar's word on `day`: False on a public holiday, True on a make-up
    working day (调休), None for an ordinary day. For a year the package does not cover, only
    the fixed-date statutory holidays are known."""
    try:
        import chinese_calendar
    except ImportError:  # the dependency is declared; a bare checkout still computes
        chinese_calendar = None
    if chinese_calendar is None or not official_coverage(day.year):
        return False if (day.month, day.day) in FIXED_STATUTORY_HOLIDAYS else None
    if day in chinese_calendar.holidays:
        return False
    if day in chinese_calendar.workdays:
        return True
    return None


def official_coverage(year: int) -> bool:
    """Does the installed chinesecalendar know the holidays of `year`?"""
    try:
        import chinese_calendar
    except ImportError:
        return False
    known = {d.year for d in chinese_calendar.holidays}
    return year in known


def commitment_for(
    category: str, severity: str, commitments: Mapping[str, Commitment]
) -> Commitment | None:
    """Severity 'complex' uses the 'complex' row when there is one; else the category's row."""
    if severity == "complex" and "complex" in commitments and category != "harassment":
        return commitments["complex"]
    return commitments.get(category)


def _combine(day: date, at: time, tz: ZoneInfo | None = None) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def next_opening(moment: datetime, calendar: Calendar) -> datetime:
    """The first business instant at or after `moment` (aware, in the calendar's zone)."""
    tz = calendar.tz
    local = moment.astimezone(tz)
    day = local.date()
    for _ in range(MAX_SEARCH_DAYS):
        if calendar.is_working_day(day):
            start = _combine(day, calendar.opens_at, tz)
            end = _combine(day, calendar.closes_at, tz)
            if local < start:
                return start
            if local < end:
                return local
        day += timedelta(days=1)
        local = _combine(day, time(0, 0), tz)
    raise ValueError("the business calendar has no working day within ten years")


def add_business_time(start: datetime, amount: timedelta, calendar: Calendar) -> datetime:
    """`start` plus `amount` of business time. Ends at a closing time rather than the next
    opening when the amount runs out exactly there."""
    if amount <= timedelta(0):
        return start.astimezone(calendar.tz)
    tz = calendar.tz
    current = next_opening(start, calendar)
    remaining = amount
    for _ in range(MAX_SEARCH_DAYS * 2):
        end_of_day = _combine(current.date(), calendar.closes_at, tz)
        available = end_of_day - current
        if remaining <= available:
            return current + remaining
        remaining -= available
        current = next_opening(end_of_day + timedelta(seconds=1), calendar)
    raise ValueError("business time could not be added within ten years")


def promised_reply_by(
    opened_at: datetime, commitment: Commitment | None, calendar: Calendar
) -> datetime | None:
    """When the reply is due, in the calendar's timezone; None when nothing is promised."""
    if commitment is None:
        return None
    if opened_at.tzinfo is None or opened_at.utcoffset() is None:
        raise ValueError(f"opened_at must be timezone-aware, got {opened_at!r}")
    if commitment.reply_same_working_day:
        start = next_opening(opened_at, calendar)
        return _combine(start.date(), calendar.closes_at, calendar.tz)
    if commitment.reply_within_working_days is not None:
        amount = calendar.day_length * commitment.reply_within_working_days
        return add_business_time(opened_at, amount, calendar)
    assert commitment.reply_within_hours is not None
    amount = timedelta(hours=commitment.reply_within_hours)
    if commitment.count_business_hours_only:
        return add_business_time(opened_at, amount, calendar)
    return (opened_at + amount).astimezone(calendar.tz)


def parse_holidays(items: Iterable[object]) -> frozenset[date]:
    """Accept dates, ISO strings, or {date, name} mappings / objects (the config's shape)."""
    out: set[date] = set()
    for item in items:
        value: object = item
        if isinstance(item, dict):
            value = item.get("date")
        elif hasattr(item, "date") and not isinstance(item, date):
            value = item.date
        if isinstance(value, datetime):
            out.add(value.date())
        elif isinstance(value, date):
            out.add(value)
        elif isinstance(value, str):
            out.add(date.fromisoformat(value))
        else:
            raise ValueError(f"business.holidays: cannot read a date from {item!r}")
    return frozenset(out)


@dataclass(frozen=True)
class SlaCalendar:
    """The register's calendar and commitment table behind one object the policy can ask
    (ivr.policy.promise.BusinessCalendar): spoken promises and due times cannot differ."""

    calendar: Calendar
    commitments: dict[str, Commitment]

    def is_working_day(self, day: date) -> bool:
        return self.calendar.is_working_day(day)

    def is_open(self, moment: datetime) -> bool:
        return self.calendar.is_open(self._aware(moment))

    def due(self, key: str, severity: str, opened: datetime) -> datetime | None:
        return promised_reply_by(
            self._aware(opened), commitment_for(key, severity, self.commitments), self.calendar
        )

    def _aware(self, moment: datetime) -> datetime:
        """A naive time is local time in the business timezone."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            return moment.replace(tzinfo=self.calendar.tz)
        return moment


def calendar_from_settings(settings: object) -> Calendar:
    """The business calendar of ivr.config.Settings (business section)."""
    business = settings.business  # type: ignore[attr-defined]
    return Calendar(
        timezone=business.timezone,
        opens_at=time.fromisoformat(business.opens_at),
        closes_at=time.fromisoformat(business.closes_at),
        working_weekdays=tuple(business.working_weekdays),
        holidays=parse_holidays(business.holidays),
        extra_working_days=frozenset(business.extra_working_days),
        official=business.official_calendar,
    )


def commitments_from_settings(settings: object) -> dict[str, Commitment]:
    """The commitment table of ivr.config.Settings."""
    return dict(settings.commitments)  # type: ignore[attr-defined]


def sla_calendar(settings: object) -> SlaCalendar:
    """What CallPolicy needs to make true promises (ivr.policy.promise)."""
    return SlaCalendar(calendar_from_settings(settings), commitments_from_settings(settings))
