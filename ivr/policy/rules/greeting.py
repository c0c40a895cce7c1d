"""Greeting (seed 000 第十六条 1): "您好,欢迎致电…客服代表{agent_name}很高兴为您服务…".

The queue-wait apology replaces it after a long ring; on a holiday the holiday variant.
Nothing follows it: the silent-call ladder's first pause counts from its end (000 第十六条 3,
issue 13 defect 8). The DTMF menu (greeting.menu_after_greeting) is offered where it does not
break that ladder: after the silent re-prompt and after an answer we could not use; its keys
work from the first second.
"""

from __future__ import annotations

from ivr.config import Settings
from ivr.policy import events as e
from ivr.policy.rules.holiday import holiday_greeting
from ivr.policy.rules.queue_wait import waited_too_long

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"greeting", "menu", "queue_wait_apology", "recording_notice"})
NOTICE = "recording_notice"


def opening_prompts(settings: Settings, answered: e.Answered) -> tuple[str, ...]:
    """The greeting; after the recording notice when privacy.recording_notice (seed 003 隐私:
    "在获取客户信息前,我们会明确告知客户所收集信息的种类、范围以及用途": the caller hears it before
    anything they say is recorded or transcribed)."""
    if waited_too_long(settings, answered.ring_s):
        first = "queue_wait_apology"
    else:
        first = holiday_greeting(settings, answered.local_time) or "greeting"
    return (NOTICE, first) if settings.privacy.recording_notice else (first,)
