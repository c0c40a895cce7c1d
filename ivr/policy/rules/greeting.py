"""Greeting (seed 000 第十六条 1): "您好,欢迎致电…客服代表{agent_name}很高兴为您服务…".

The queue-wait apology replaces it after a long ring; on a holiday the holiday variant; then the
DTMF menu when greeting.menu_after_greeting (so callers without a recogniser can go on).
"""

from __future__ import annotations

from ivr.config import Settings
from ivr.policy import events as e
from ivr.policy.rules.holiday import holiday_greeting
from ivr.policy.rules.queue_wait import waited_too_long

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"greeting", "menu", "queue_wait_apology"})


def opening_prompts(settings: Settings, answered: e.Answered) -> tuple[str, ...]:
    if waited_too_long(settings, answered.ring_s):
        first = "queue_wait_apology"
    else:
        first = holiday_greeting(settings, answered.local_time) or "greeting"
    return (first, "menu") if settings.greeting.menu_after_greeting else (first,)
