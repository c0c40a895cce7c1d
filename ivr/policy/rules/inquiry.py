"""Inquiry the bot cannot answer on the spot (seed 001 特殊沟通内容 11).

Ask -> record the question -> a ticket of category inquiry -> "…我们会在{hours}小时内有专人和您联系"
with the hours from the commitment table -> "您是否清楚?" (rules/understood.py) -> closing.
"""

from __future__ import annotations

from ivr.policy.context import CallContext
from ivr.policy.rules.recording import AskThenRecord
from ivr.policy.rules.understood import explain
from ivr.vocabulary import TicketCategory

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"callback_promise", "inquiry_ask"})

CATEGORY: TicketCategory = "inquiry"


def start(ctx: CallContext) -> None:
    ctx.business = True
    ctx.goto(AskThenRecord(("inquiry_ask",), CATEGORY, recorded))


def recorded(ctx: CallContext, text: str, spoke: bool) -> None:
    if spoke or text:
        ctx.open_ticket(CATEGORY, summary=text[:60], transcript=text, recording=True)
        explain(ctx, "callback_promise", {"hours": ctx.promised_hours(CATEGORY)})
    else:
        ctx.start_flow("closing")
