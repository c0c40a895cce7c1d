"""Request for a person or supervisor, or a caller who stays angry (seed 001 用户抱怨和投诉 6-7).

transfer_notice -> a callback ticket (so the agent desk gets a ticket id) -> Transfer to the queue
URI from config with the ticket id in the context. Transfer failed, no answer within
dialogue.hold_long_max_s, or after hours -> the callback promise with the hours from the
commitment table; the callback ticket stays open for the desk.
"""

from __future__ import annotations

from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy.context import TICKET, TRANSFER, CallContext, Step
from ivr.policy.rules.business_hours import is_open
from ivr.policy.rules.understood import explain
from ivr.vocabulary import EndReason, TicketCategory

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"after_hours", "transfer_failed", "transfer_notice"})

CATEGORY: TicketCategory = "callback"
REASON: EndReason = "transferred"
# How long to wait for the callback ticket's id before transferring without it.
TICKET_WAIT_S = 5.0


def queue_uri(ctx: CallContext, why: str) -> str:
    """The queue named after the reason (e.g. "supervisor") if configured, else the default."""
    queues = ctx.settings.transfer.queues
    return queues.get(why) or queues[ctx.settings.transfer.default_queue]


def start(ctx: CallContext, *, why: str = "person") -> None:
    ctx.business = True
    local_time = ctx.answered.local_time if ctx.answered else None
    hours = ctx.promised_hours(CATEGORY)
    if not is_open(ctx.settings, local_time):
        ctx.mark(f"after hours: callback ({why})")
        ctx.interrupt()
        ctx.open_ticket(CATEGORY, summary=f"callback requested ({why}) after hours", notes=why)
        explain(ctx, "after_hours", {"hours": hours})
        return
    ctx.interrupt()
    ctx.goto(Transferring(why))


class Transferring(Step):
    name = "transferring"
    line_rules = False
    dialogue = False

    def __init__(self, why: str) -> None:
        self.why = why
        self.request_id = ""
        self.ticket_id: str | None = None
        self.ticket_done = False
        self.notice_done = False
        self.sent = False

    def enter(self, ctx: CallContext) -> None:
        ctx.play("transfer_notice", barge_in=False)  # the caller must hear "do not hang up"
        self.request_id = ctx.open_ticket(
            CATEGORY, summary=f"transfer to a person ({self.why})", notes=self.why
        )
        ctx.start_timer(TICKET, TICKET_WAIT_S)

    def on_idle(self, ctx: CallContext) -> None:
        self.notice_done = True
        self._maybe_transfer(ctx)

    def on_ticket(self, ctx: CallContext, ev: e.TicketResult) -> None:
        if ev.request_id and ev.request_id != self.request_id:
            return
        ctx.cancel_timer(TICKET)
        self.ticket_done = True
        self.ticket_id = ev.ticket_id if ev.ok and ev.ticket_id else None
        self._maybe_transfer(ctx)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name == TICKET:
            self.ticket_done = True
            self._maybe_transfer(ctx)
        elif name == TRANSFER:
            ctx.mark("transfer: no answer")
            self.failed(ctx)

    def _maybe_transfer(self, ctx: CallContext) -> None:
        if self.sent or not (self.notice_done and self.ticket_done):
            return
        self.sent = True
        context = {"request_id": self.request_id, "reason": self.why}
        if self.ticket_id:
            context["ticket_id"] = self.ticket_id
        ctx.emit(a.Transfer(target=queue_uri(ctx, self.why), context=context))
        ctx.start_timer(TRANSFER, ctx.settings.dialogue.hold_long_max_s)

    def on_transfer(self, ctx: CallContext, ev: e.TransferResult) -> None:
        if not self.sent:
            return
        ctx.cancel_timer(TRANSFER)
        if ev.ok:
            ctx.hangup(REASON)
        else:
            ctx.mark(f"transfer failed ({ev.code})")
            self.failed(ctx)

    def failed(self, ctx: CallContext) -> None:
        ctx.emit(a.UpdateTicket(request_id=self.request_id, fields={"transfer_failed": True}))
        explain(ctx, "transfer_failed", {"hours": ctx.promised_hours(CATEGORY)})

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        """The caller talks while we connect: nothing to decide, only to go on."""
        ctx.idle_check()

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        """Keys while we connect are ignored."""
        ctx.idle_check()
