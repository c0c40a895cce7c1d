"""Is a person at the desk now? Business days and hours (Answered.local_time).

With the SLA calendar (CallPolicy's `calendar`: official holidays, 调休 make-up days, company
days) the answer is the ticket register's; without it, the config's weekdays and holidays.
"""

from __future__ import annotations

import datetime as dt

from ivr.config import Settings
from ivr.policy.context import CallContext


def is_open_now(ctx: CallContext) -> bool:
    """Open at this moment of the call, by the same calendar as the promises."""
    now = ctx.now_local()
    if now is not None and ctx.calendar is not None:
        return ctx.calendar.is_open(now)
    return is_open(ctx.settings, now)


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
