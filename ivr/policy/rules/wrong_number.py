"""Wrong number (seed 001 特殊沟通内容 2).

"您好,这里是xxxx客服中心,请您查证后再拨。" -> "感谢您的来电,再见!" -> hang up (normal). The caller
dialled the wrong number: no survey, no ticket.
"""

from __future__ import annotations

from ivr.policy.context import CallContext
from ivr.policy.rules import closing

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"wrong_number"})

PROMPT = "wrong_number"


def start(ctx: CallContext) -> None:
    ctx.mark("wrong number")
    ctx.interrupt()
    ctx.play(PROMPT)
    closing.goodbye(ctx)
