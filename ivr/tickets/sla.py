"""Business calendar and the promised reply time (pure: no clock, no I/O).

The seeds promise a first reply "within the working hour", ordinary issues within 24 hours and
complex ones within 3 working days; the table of promises is config [commitments]
(ivr.config.Commitment, default_commitments()). A commitment counts either wall-clock hours or
business time (hours inside opening hours on working days that are not holidays). Working days
are counted as business time too: 3 working days = 3 x the length of a business day, counted
from the moment the ticket was opened (or from the next opening if it was opened outside
business hours).
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
        return day.isoweekday() in self.working_weekdays and day not in self.holidays

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz)
        return self.is_working_day(local.date()) and self.opens_at <= local.time() < self.closes_at


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
