"""Complaint intake (seed 000 第八条; seed 001 用户抱怨和投诉 3, 8; 核实信息 1).

Apology -> ask for the details -> record -> read back ("我再和您核实一下…" + the transcript, when
there is one) -> confirm (key 1 / "yes"; 2 / "no" records again) -> ticket with the promised reply
hours from the commitment table -> the ticket number and "…在{hours}小时内给您答复…" -> closing.
A recorded complaint is never dropped: unanswered confirmation files it anyway.
"""

from __future__ import annotations

from ivr.policy import events as e
from ivr.policy.context import WAIT, CallContext, Step
from ivr.policy.rules.hold import WaitForTicket
from ivr.policy.rules.intent import yes_no
from ivr.policy.rules.recording import AskThenRecord
from ivr.vocabulary import TicketCategory

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset(
    {
        "complaint_apology",
        "complaint_ask_details",
        "complaint_confirm",
        "complaint_promise",
        "complaint_readback_intro",
        "complaint_ticket_number",
    }
)

CATEGORY: TicketCategory = "complaint"
SUMMARY_CHARS = 60


def start(ctx: CallContext, *, attempt: int = 0, apologise: bool = True) -> None:
    ctx.business = True
    prompts: tuple[str, ...] = ("complaint_ask_details",)
    if apologise:
        prompts = ("complaint_apology", *prompts)

    def done(c: CallContext, text: str, spoke: bool) -> None:
        recorded(c, text, spoke, attempt)

    ctx.goto(AskThenRecord(prompts, CATEGORY, done))


def recorded(ctx: CallContext, text: str, spoke: bool, attempt: int) -> None:
    if not spoke and not text:
        ctx.mark("complaint: nothing said")
        ctx.start_flow("closing")
        return
    ctx.goto(Confirm(text, attempt))


class Confirm(Step):
    """Read back and confirm; the confirmation timer starts when the confirm phrase ends."""

    name = "complaint_confirm"
    line_rules = False

    def __init__(self, text: str, attempt: int, asked: int = 0) -> None:
        self.text = text
        self.attempt = attempt  # how many times the caller has re-recorded
        self.asked = asked

    def enter(self, ctx: CallContext) -> None:
        ctx.pending_complaint = self.text
        if self.asked == 0 and ctx.settings.complaint.read_back and self.text:
            ctx.play("complaint_readback_intro")
            ctx.say(self.text)
        ctx.play("complaint_confirm")

    def on_idle(self, ctx: CallContext) -> None:
        ctx.start_timer(WAIT, ctx.settings.complaint.confirm_timeout_s)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name != WAIT:
            return
        if self.asked + 1 < ctx.settings.complaint.confirm_attempts_count:
            ctx.goto(Confirm(self.text, self.attempt, self.asked + 1))
        else:
            file(ctx, self.text, confirmed=False)

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        menu = ctx.settings.menu
        if ev.digit == menu.confirm_digit:
            file(ctx, self.text, confirmed=True)
        elif ev.digit == menu.rerecord_digit:
            self.again(ctx)
        else:
            ctx.idle_check()

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        answer = yes_no(ev.transcript, ctx.settings.keywords(ctx.locale))
        if answer is True:
            file(ctx, self.text, confirmed=True)
        elif answer is False:
            self.again(ctx)
        else:
            ctx.idle_check()

    def again(self, ctx: CallContext) -> None:
        if self.attempt + 1 < ctx.settings.complaint.confirm_attempts_count:
            start(ctx, attempt=self.attempt + 1, apologise=False)
        else:
            file(ctx, self.text, confirmed=False)


def file(ctx: CallContext, text: str, *, confirmed: bool) -> None:
    """Open the ticket and tell the caller its number and the promised reply time."""
    ctx.pending_complaint = None
    request_id = ctx.open_ticket(
        CATEGORY,
        summary=text[:SUMMARY_CHARS],
        transcript=text,
        recording=True,
        notes="" if confirmed else "not confirmed by the caller",
    )
    ctx.goto(WaitForTicket(request_id, _tell))


def _tell(ctx: CallContext, ev: e.TicketResult | None) -> None:
    if ev is not None and ev.ok and ev.ticket_id:
        ctx.play("complaint_ticket_number", {"ticket_no": ev.ticket_id})
    ctx.play("complaint_promise", {"hours": ctx.promised_hours(CATEGORY)})
    ctx.start_flow("closing")
