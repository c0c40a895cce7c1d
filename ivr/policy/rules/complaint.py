"""Complaint intake (seed 000 第八条; seed 001 用户抱怨和投诉 3, 8; 核实信息 1).

Apology -> ask for the details -> record -> read back ("我再和您核实一下…" + the transcript, when
there is one) -> confirm (key 1 / "yes"; 2 / "no" records again) -> ticket with the promised reply
hours from the commitment table -> the ticket number and "…在{hours}小时内给您答复…" -> closing.
A recorded complaint is never dropped: unanswered confirmation files it anyway.
"""

from __future__ import annotations

from ivr.policy import events as e
from ivr.policy.context import WAIT, CallContext, Capture, Step
from ivr.policy.rules import complaint_classes, reference
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
    if ctx.pending_complaint is None:
        # The words that started the complaint are kept from now on (issue 13 defect 5).
        spoken_now = ctx.last_speech_t is not None and ctx.last_speech_t == ctx.t
        ctx.pending_complaint = Capture(stated=ctx.last_transcript if spoken_now else "")
    else:
        ctx.pending_complaint.parts.clear()  # recording again: the new details replace them
        ctx.pending_complaint.confirmed_text = None
    prompts: tuple[str, ...] = ("complaint_ask_details",)
    if apologise:
        prompts = ("complaint_apology", *prompts)

    def done(c: CallContext, text: str, spoke: bool) -> None:
        recorded(c, text, spoke, attempt)

    ctx.goto(AskThenRecord(prompts, CATEGORY, done))


def recorded(ctx: CallContext, text: str, spoke: bool, attempt: int) -> None:
    capture = ctx.pending_complaint
    if not spoke and not text:
        if capture is not None and capture.stated:
            # Nothing more after "我要投诉,冰箱坏了": confirm what was said (never lost).
            ctx.goto(Confirm(capture.stated, attempt))
            return
        ctx.mark("complaint: nothing said")
        ctx.pending_complaint = None
        ctx.start_flow("closing")
        return
    ctx.goto(Confirm(text, attempt))


def file_unconfirmed(ctx: CallContext, why: str) -> None:
    """The call ends before the caller confirmed: file what was captured (issue 13 #5).

    The recording stops first, so the session writes the file before it drafts the ticket.
    """
    capture = ctx.pending_complaint
    ctx.pending_complaint = None
    if capture is None or not capture.worth_filing:
        return
    ctx.stop_recording()
    text = capture.text
    classes = complaint_classes.classify(ctx, text)
    ctx.mark(f"complaint filed unconfirmed ({capture.stage})")
    ctx.open_ticket(
        CATEGORY,
        summary=text[:SUMMARY_CHARS],
        transcript=text,
        recording=capture.spoke,
        severity=classes.severity,
        notes=f"{classes.notes}; not confirmed by the caller: {why} (during {capture.stage})",
    )


class Confirm(Step):
    """Read back and confirm; the confirmation timer starts when the confirm phrase ends."""

    name = "complaint_confirm"
    line_rules = False

    def __init__(self, text: str, attempt: int, asked: int = 0) -> None:
        self.text = text
        self.attempt = attempt  # how many times the caller has re-recorded
        self.asked = asked

    def enter(self, ctx: CallContext) -> None:
        capture = ctx.pending_complaint or Capture()
        capture.stage = "confirming"
        capture.confirmed_text = self.text or capture.text
        ctx.pending_complaint = capture
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
    capture = ctx.pending_complaint
    ctx.pending_complaint = None
    classes = complaint_classes.classify(ctx, " ".join(
        p for p in ((capture.stated if capture else ""), text) if p))
    notes = classes.notes + ("" if confirmed else "; not confirmed by the caller")
    request_id = ctx.open_ticket(
        CATEGORY,
        summary=text[:SUMMARY_CHARS],
        transcript=text,
        recording=True,
        severity=classes.severity,
        notes=notes,
    )

    def then(c: CallContext, ev: e.TicketResult | None) -> None:
        _tell(c, ev, classes.severity)

    ctx.goto(WaitForTicket(request_id, then))


def _tell(ctx: CallContext, ev: e.TicketResult | None, severity: str = "normal") -> None:
    def promise(c: CallContext) -> None:
        c.play("complaint_promise", c.promise(CATEGORY, severity))
        c.start_flow("closing")

    if ev is not None and ev.ok and (ev.reference or ev.ticket_id):
        reference.tell(ctx, ev.reference or ev.ticket_id, promise)
    else:
        promise(ctx)
