"""Telling the reference number (seed 001 特殊沟通内容 8; 001 核实信息 1; issue 13).

"提供的信息较长,需要善意提醒用户记录下关联内容时 '内容比较多,麻烦您准备下纸跟笔好吗?'
如用户表示需要,则耐心等待用户取纸和笔."
The reference is decimal digits (ivr.tickets.types.reference_number, not the hex ticket id),
said digit by digit in groups of four so it can be written down. At the
closing question the caller may ask for it again (intents.<locale>.repeat, or the repeat key).
Config: complaint.pen_and_paper, complaint.pen_wait_s.
"""

from __future__ import annotations

from collections.abc import Callable

from ivr.policy import events as e
from ivr.policy.context import WAIT, CallContext, Step
from ivr.policy.rules.intent import matches, yes_no

PEN = "pen_and_paper"
NUMBER = "complaint_ticket_number"
# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({PEN, NUMBER})
GROUP = 4

Then = Callable[[CallContext], None]


def spoken_digits(reference: str) -> str:
    """"3821 0497 55" -> "3 8 2 1, 0 4 9 7, 5 5": one digit at a time, a pause every four."""
    groups = [reference[i:i + GROUP] for i in range(0, len(reference), GROUP)]
    return ", ".join(" ".join(group) for group in groups)


def say_number(ctx: CallContext, reference: str) -> None:
    ctx.last_reference = reference
    ctx.play(NUMBER, {"ticket_no": spoken_digits(reference)})


def asks_repeat(ctx: CallContext, transcript: str) -> bool:
    """"再说一遍" / "编号是多少" after the number was told."""
    words = ctx.settings.keywords(ctx.locale).get("repeat", ())
    return bool(ctx.last_reference) and matches(transcript, words)


def tell(ctx: CallContext, reference: str, then: Then) -> None:
    """Pen and paper first when configured, then the number, then `then`."""
    if ctx.settings.complaint.pen_and_paper:
        ctx.goto(PenAndPaper(reference, then))
    else:
        say_number(ctx, reference)
        then(ctx)


class PenAndPaper(Step):
    """"麻烦您准备下纸跟笔好吗?" -> wait while the caller fetches them -> the number."""

    name = "pen_and_paper"

    def __init__(self, reference: str, then: Then) -> None:
        self.reference = reference
        self.then = then
        self.fetching = False

    def enter(self, ctx: CallContext) -> None:
        ctx.play(PEN)

    def on_idle(self, ctx: CallContext) -> None:
        ctx.start_timer(WAIT, ctx.settings.complaint.pen_wait_s)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name == WAIT:
            self.done(ctx)

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        answer = yes_no(ev.transcript, ctx.settings.keywords(ctx.locale))
        if answer is True and not self.fetching:
            self.fetching = True  # "好的,稍等": wait for them (the timer runs again)
            ctx.mark("caller fetches pen and paper")
            ctx.idle_check()
        elif answer is False or self.fetching or not ev.transcript:
            self.done(ctx)  # "不用" / "好了" / speech without a recogniser
        else:
            ctx.idle_check()

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        self.done(ctx)

    def done(self, ctx: CallContext) -> None:
        ctx.cancel_timer(WAIT)
        say_number(ctx, self.reference)
        self.then(ctx)
