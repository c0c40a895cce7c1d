"""Holiday greeting (seed 001 重要节日开头语): "节日快乐" / "新年好" on configured holidays."""

from __future__ import annotations

import datetime as dt

from ivr.config import Settings

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"greeting_holiday_festival", "greeting_holiday_new_year"})


def holiday_greeting(settings: Settings, local_time: dt.datetime | None) -> str | None:
    """The holiday variant of the greeting for the caller's local day, or None."""
    if local_time is None:
        return None
    holiday = settings.business.holiday_on(local_time.date())
    return None if holiday is None else f"greeting_holiday_{holiday.greeting}"
