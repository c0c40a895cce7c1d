"""Harassment (seed 001 特殊沟通内容 6).

"您好,这里是xxxx的客服中心,如果您有关于xxxx业务或服务的问题,我很乐意为您解答,…请您挂机…" —
若用户仍然纠缠不清不肯挂机,能够于重复三次后 "非常抱歉,…我要挂机了,再见!" 停顿5秒,挂机.
A ticket of category harassment records the times for the manager. A caller who turns to
business (complaint, inquiry, suggestion, a person) leaves the ladder.
"""

from __future__ import annotations

from ivr.policy import events as e
from ivr.policy.context import WAIT, CallContext, Step
from ivr.policy.ladder import Ladder, Rung
from ivr.policy.rules.intent import BUSINESS_INTENTS, classify, digit_intent
from ivr.vocabulary import EndReason, TicketCategory

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"harassment_final", "harassment_warning"})

REASON: EndReason = "harassment"
CATEGORY: TicketCategory = "harassment"


class Harassment(Ladder):
    reason = REASON
    name = "harassment"
    timer = WAIT

    def __init__(self, back: Step | None = None, *, blacklisted: bool = False) -> None:
        super().__init__(back)
        self.blacklisted = blacklisted

    def rungs(self, ctx: CallContext) -> list[Rung]:
        cfg = ctx.settings.harassment
        wait = ctx.settings.dialogue.intent_timeout_s
        return [Rung("harassment_warning", wait)] * cfg.warning_count + [
            Rung("harassment_final", cfg.hangup_after_final_s, final=True)
        ]

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        intent = classify(ev.transcript, ctx.settings.keywords(ctx.locale))
        if intent is not None and intent in BUSINESS_INTENTS:
            ctx.mark(f"harassment left for {intent}")
            ctx.start_flow(intent)
        elif ev.transcript or ev.confidence is not None:
            ctx.interrupt()
            self.climb(ctx)  # still no business: the next warning (or the final phrase)
        else:
            super().on_speech(ctx, ev)

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        intent = digit_intent(ctx.settings, ev.digit)
        if intent is not None:
            ctx.start_flow(intent)
        else:
            ctx.idle_check()

    def before_hangup(self, ctx: CallContext) -> None:
        marks = [(t, what) for t, what in ctx.marks if what.startswith("harassment")]
        times = "; ".join(f"{t:.1f}s {what}" for t, what in marks)
        ctx.open_ticket(
            CATEGORY,
            summary="harassment call ended by the agent",
            severity="urgent" if self.blacklisted else "normal",
            notes=f"hang-up at {ctx.t + 0.0:.1f}s; {times}; blacklisted={self.blacklisted}",
        )


def start(ctx: CallContext, *, blacklisted: bool = False) -> None:
    ctx.interrupt()
    step = ctx.step
    back: Step | None = step.back if isinstance(step, Ladder) else step
    ctx.goto(Harassment(back=back, blacklisted=blacklisted))
