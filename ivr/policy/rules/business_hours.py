"""Is a person at the desk now? Business days and hours from config (Answered.local_time)."""

from __future__ import annotations

import datetime as dt

from ivr.config import Settings


def is_open(settings: Settings, local_time: dt.datetime | None) -> bool:
    """True inside opening hours on a working, non-holiday day; unknown time counts as open."""
    if local_time is None:
        return True
    business = settings.business
    if business.holiday_on(local_time.date()) is not None:
        return False
    if local_time.isoweekday() not in business.working_weekdays:
        return False
    hhmm = local_time.strftime("%H:%M")
    return business.opens_at <= hhmm < business.closes_at
