"""Suggestion (seed 001 特殊沟通内容 9).

Ask -> record -> "非常感谢您提出的宝贵建议,我已经记录下来并会反馈给有关负责人…" -> a ticket of
category suggestion -> closing.
"""

from __future__ import annotations

from ivr.policy.context import CallContext
from ivr.policy.rules.recording import AskThenRecord
from ivr.vocabulary import TicketCategory

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"suggestion_ask", "suggestion_thanks"})

CATEGORY: TicketCategory = "suggestion"


def start(ctx: CallContext) -> None:
    ctx.business = True
    ctx.goto(AskThenRecord(("suggestion_ask",), CATEGORY, recorded))


def recorded(ctx: CallContext, text: str, spoke: bool) -> None:
    if spoke or text:
        ctx.open_ticket(CATEGORY, summary=text[:60], transcript=text, recording=True)
        ctx.play("suggestion_thanks")
    ctx.start_flow("closing")
