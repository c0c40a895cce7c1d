"""Seed 000 第十六条 1/4, seed 001 重要节日开头语: which greeting a caller hears."""

from __future__ import annotations

import datetime as dt

import pytest
from policy_support import WORKDAY, run

from ivr.config import load_settings
from ivr.policy import events as e
from ivr.policy.rules.greeting import opening_prompts
from ivr.policy.rules.holiday import holiday_greeting
from ivr.policy.rules.queue_wait import waited_too_long


def first_prompt(settings, **answered) -> str:
    call = run(settings, answered=e.Answered(t=0.0, **answered))
    return call.plays()[0][1]


def test_plain_greeting_then_the_silent_pause(settings):
    """Nothing follows the greeting: the 5 s pause of 000 第十六条 3 counts from its end."""
    call = run(settings, answered=e.Answered(t=0.0, ring_s=1.0, local_time=WORKDAY))
    assert [p for _, p in call.plays()[:2]] == ["greeting", "silent_reprompt"]
    assert call.plays()[0][0] == 0.0


def test_queue_apology_after_three_rings(settings):
    threshold = settings.greeting.queue_apology_rings_count * settings.greeting.ring_cycle_s
    assert first_prompt(settings, ring_s=threshold, local_time=WORKDAY) == "queue_wait_apology"
    assert first_prompt(settings, ring_s=threshold - 0.1, local_time=WORKDAY) == "greeting"
    assert waited_too_long(settings, threshold) and not waited_too_long(settings, threshold - 0.1)


def test_queue_threshold_follows_config():
    two_rings = load_settings(overrides={"greeting": {"queue_apology_rings_count": 2}})
    assert (
        first_prompt(two_rings, ring_s=2 * two_rings.greeting.ring_cycle_s) == "queue_wait_apology"
    )


@pytest.mark.parametrize("holiday", ["festival", "new_year"])
def test_holiday_greeting_on_configured_holidays(settings, holiday):
    day = next(h for h in settings.business.holidays if h.greeting == holiday).date
    local = dt.datetime.combine(day, dt.time(10, 0))
    assert first_prompt(settings, local_time=local) == f"greeting_holiday_{holiday}"
    assert holiday_greeting(settings, local - dt.timedelta(days=400)) is None


def test_no_menu_when_switched_off():
    plain = load_settings(overrides={"greeting": {"menu_after_greeting": False}})
    assert opening_prompts(plain, e.Answered(t=0.0)) == ("greeting",)
