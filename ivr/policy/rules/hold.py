"""Hold (seed 001 需要进行保持时的应答规范 1-2).

While the bot waits for something slow (the ticket number), the caller is not left in silence:
after HOLD_AFTER_S "我帮您查询一下,请您稍等。", and when the answer comes "非常感谢您的耐心等候。".
If nothing comes within dialogue.hold_short_s the call goes on without it.
"""

from __future__ import annotations

from collections.abc import Callable

from ivr.policy import events as e
from ivr.policy.context import TICKET, CallContext, Step

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"hold_long", "hold_short", "hold_thanks"})

# A wait shorter than this needs no hold phrase.
HOLD_AFTER_S = 2.0

Then = Callable[[CallContext, e.TicketResult | None], None]


def hold_prompt(expected_s: float, short_max_s: float) -> str:
    """Short hold (10-30 s, caller stays on the line) or long hold (ask them not to hang up)."""
    return "hold_short" if expected_s <= short_max_s else "hold_long"


class WaitForTicket(Step):
    name = "wait_ticket"
    line_rules = False
    dialogue = False

    def __init__(self, request_id: str, then: Then) -> None:
        self.request_id = request_id
        self.then = then
        self.held = False

    def enter(self, ctx: CallContext) -> None:
        ctx.start_timer(TICKET, HOLD_AFTER_S)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name != TICKET:
            return
        if not self.held:
            self.held = True
            short = ctx.settings.dialogue.hold_short_s
            ctx.play(hold_prompt(short, short))
            ctx.start_timer(TICKET, short)
        else:
            self.then(ctx, None)

    def on_ticket(self, ctx: CallContext, ev: e.TicketResult) -> None:
        if ev.request_id and ev.request_id != self.request_id:
            return
        ctx.cancel_timer(TICKET)
        if self.held:
            ctx.play("hold_thanks")
        self.then(ctx, ev)
