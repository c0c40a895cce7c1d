"""Sections for opening hours, holidays and the promised reply times (commitments)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ivr.config.base import Hhmm, Section
from ivr.vocabulary import CommitmentKey


class Holiday(Section):
    date: dt.date
    name: str
    greeting: Literal["festival", "new_year"] = "festival"


class BusinessSettings(Section):
    timezone: str = "Asia/Shanghai"
    opens_at: Hhmm = "09:00"
    closes_at: Hhmm = "18:00"
    working_weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5]
    )
    # Company days off (and the holiday greeting's name) on top of the official calendar.
    holidays: list[Holiday] = Field(default_factory=list)
    # Issue 13: official holidays and 调休 make-up days from the chinesecalendar package ("cn"),
    # or only the weekday rule and the lists here ("none").
    official_calendar: Literal["cn", "none"] = "cn"
    # Company working days the calendar would close (a Saturday shift, ...).
    extra_working_days: list[dt.date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _opens_before_closes(self) -> BusinessSettings:
        if self.opens_at >= self.closes_at:
            raise ValueError(
                f"opens_at ({self.opens_at}) must be before closes_at ({self.closes_at})"
            )
        return self

    def holiday_on(self, day: dt.date) -> Holiday | None:
        return next((h for h in self.holidays if h.date == day), None)


class Commitment(Section):
    """A promised reply time: hours (optionally counted in business hours) or working days."""

    reply_within_hours: Annotated[float, Field(gt=0, le=720)] | None = None
    reply_within_working_days: Annotated[int, Field(ge=1, le=30)] | None = None
    count_business_hours_only: bool = False
    # Seed 000 第十条: "于接到申诉/投诉的当日内给予客户解决方案答复" (by the day's closing time).
    reply_same_working_day: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> Commitment:
        given = [self.reply_within_hours is not None, self.reply_within_working_days is not None,
                 self.reply_same_working_day]
        if sum(given) != 1:
            raise ValueError("set exactly one of reply_within_hours, reply_within_working_days, "
                             "reply_same_working_day")
        return self

    @property
    def promised_hours(self) -> int:
        """An upper bound in hours (the OpenTicket field); what is SAID comes from the
        calendar (ivr.policy.promise)."""
        if self.reply_within_hours is not None:
            return max(1, round(self.reply_within_hours))
        if self.reply_same_working_day:
            return 24
        return 24 * int(self.reply_within_working_days or 1)


def default_commitments() -> dict[CommitmentKey, Commitment]:
    """The promised-reply table when config [commitments] says nothing: the one source."""
    # Seed 003 服务响应与处理时效: first reply within the working hour, ordinary issues 24 h,
    # complex issues three working days; seed 000 第十条: complaints answered the same working day
    # (于接到申诉/投诉的当日内答复). config/ivr.toml spells out the same table.
    return {
        "complaint": Commitment(reply_same_working_day=True),
        "inquiry": Commitment(reply_within_hours=1, count_business_hours_only=True),
        "suggestion": Commitment(reply_within_hours=24),
        "callback": Commitment(reply_within_hours=24),
        "harassment": Commitment(reply_within_hours=24),
        "silent_followup": Commitment(reply_within_hours=24),
        "complex": Commitment(reply_within_working_days=3),
    }
