"""Helpers of the policy tests: a call runner and phrase lengths (a uniquely named module, so
it never collides with another folder's conftest)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fakes import VirtualCall, estimated_seconds

from ivr.config import Settings
from ivr.policy import CallPolicy
from ivr.policy import events as e
from ivr.tickets.sla import sla_calendar

LOCALE = "zh-CN"
# A working Tuesday afternoon, no holiday, inside opening hours.
WORKDAY = dt.datetime(2026, 3, 3, 14, 0)


def run(
    settings: Settings,
    script=(),
    *,
    locale: str = LOCALE,
    answered: e.Answered | None = None,
    **kwargs,
) -> VirtualCall:
    """One whole call in virtual time; every run checks the contract's invariants."""
    call = VirtualCall(
        CallPolicy(settings, locale, calendar=sla_calendar(settings)),
        estimated_seconds(settings, locale),
        answered=answered or e.Answered(t=0.0, local_time=WORKDAY),
        **kwargs,
    )
    call.run(script)
    assert call.violations == [], call.format()
    return call


def length(settings: Settings, *prompt_ids: str, locale: str = LOCALE) -> float:
    """Seconds of the phrases; "tone" is the recording tone (complaint.tone_ms)."""
    secs = estimated_seconds(settings, locale)
    tone = settings.complaint.tone_ms / 1000.0 if settings.complaint.tone_enabled else 0.0
    return sum(tone if p == "tone" else secs(p) for p in prompt_ids)


def reprompt_len(settings: Settings) -> float:
    """The first silent re-prompt and the DTMF menu offered after it (issue 13 defect 8)."""
    ids = ("silent_reprompt", "menu") if settings.greeting.menu_after_greeting else (
        "silent_reprompt",)
    return length(settings, *ids)


def opening(settings: Settings) -> float:
    """Length of the opening: the recording notice (privacy.recording_notice) and the greeting;
    the menu never delays the first pause."""
    ids = ("recording_notice", "greeting") if settings.privacy.recording_notice else ("greeting",)
    return length(settings, *ids)
