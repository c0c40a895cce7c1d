"""Harassment (seed 001 特殊沟通内容 6).

"您好,这里是xxxx的客服中心,如果您有关于xxxx业务或服务的问题,我很乐意为您解答,…请您挂机…" —
若用户仍然纠缠不清不肯挂机,能够于重复三次后 "非常抱歉,…我要挂机了,再见!" 停顿5秒,挂机.
A ticket of category harassment records the times and the evidence for the manager. A caller
who turns to business (complaint, inquiry, suggestion, a person) leaves the ladder.
The ladder starts only on positive evidence: see rules/harassment_evidence.py.

harassment.treatment (seed 002 骚扰电话的处理) picks what follows the evidence:
- "warnings": the 001 特殊 6 ladder above (default);
- "analysis": "另外的做法可为设立一个单独队列…录音为'您已进入来电自动分析系统,请稍候。'
  然后在播放一段特殊信号音后接着为'分析完成,请挂断。'" -> 5 s -> hang up (AnalysisQueue);
- "queue": the call goes to transfer.queues.harassment (default queue if none), no warnings
  ("全部被确认为骚扰电话的来电由座席代表转入此队列"); a failed transfer falls back to the warnings.
Every treatment leaves the harassment ticket (times and evidence) for the manager.
"""

from __future__ import annotations

from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy.context import TRANSFER, WAIT, CallContext, Step
from ivr.policy.ladder import Ladder, Rung
from ivr.policy.rules.harassment_evidence import ABUSE, BLACKLISTED, EVIDENCE
from ivr.policy.rules.intent import BUSINESS_INTENTS, classify, digit_intent
from ivr.vocabulary import EndReason, TicketCategory

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"harassment_final", "harassment_warning", "harassment_analysis",
                     "harassment_analysis_done"})

REASON: EndReason = "harassment"
QUEUE = "harassment"  # transfer.queues key of seed 002's separate queue
CATEGORY: TicketCategory = "harassment"


class Harassment(Ladder):
    reason = REASON
    name = "harassment"
    timer = WAIT

    def __init__(self, back: Step | None = None, *, blacklisted: bool = False,
                 evidence: str = ABUSE) -> None:
        super().__init__(back)
        self.blacklisted = blacklisted
        self.evidence = BLACKLISTED if blacklisted else evidence

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

    def usable(self, ctx: CallContext, ev: e.Event) -> bool:
        """In the final pause only business reopens the call (seed 002: 对公司产品、服务感兴趣)."""
        if isinstance(ev, e.Dtmf):
            return digit_intent(ctx.settings, ev.digit) is not None
        if isinstance(ev, e.SpeechEnded):
            keywords = ctx.settings.keywords(ctx.locale)
            return classify(ev.transcript, keywords) in BUSINESS_INTENTS
        return False

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        intent = digit_intent(ctx.settings, ev.digit)
        if intent is not None:
            ctx.start_flow(intent)
        else:
            ctx.idle_check()

    ticketed = False  # the queue treatment filed the ticket already

    def before_hangup(self, ctx: CallContext) -> None:
        if self.ticketed:
            return
        self.ticketed = True
        marks = [(t, what) for t, what in ctx.marks if what.startswith("harassment")]
        times = "; ".join(f"{t:.1f}s {what}" for t, what in marks)
        ctx.open_ticket(
            CATEGORY,
            summary="harassment call ended by the agent",
            severity="urgent" if self.blacklisted else "normal",
            notes=(
                f"hang-up at {ctx.t + 0.0:.1f}s; {times}; evidence={self.evidence}; "
                f"blacklisted={self.blacklisted}"
            ),
        )


def start(ctx: CallContext, *, evidence: str, blacklisted: bool = False) -> None:
    """Start the ladder; `evidence` is one of harassment_evidence.EVIDENCE (never a guess)."""
    if evidence not in EVIDENCE:
        raise ValueError(f"harassment needs evidence, one of {EVIDENCE}; got {evidence!r}")
    ctx.interrupt()
    ctx.mark(f"harassment evidence: {evidence}")
    step = ctx.step
    back: Step | None = step.back if isinstance(step, Ladder) else step
    ladder = Harassment(back=back, blacklisted=blacklisted, evidence=evidence)
    treatment = ctx.settings.harassment.treatment
    if treatment == "analysis":
        ctx.goto(AnalysisQueue(ladder))
    elif treatment == "queue":
        ctx.goto(HarassmentQueue(ladder))
    else:
        ctx.goto(ladder)


class AnalysisQueue(Step):
    """Seed 002: "您已进入来电自动分析系统,请稍候。" + a tone + "分析完成,请挂断。" -> hang up."""

    name = "harassment_analysis"
    line_rules = False
    dialogue = False

    def __init__(self, ladder: Harassment) -> None:
        self.ladder = ladder
        self.done = False

    def enter(self, ctx: CallContext) -> None:
        ctx.play("harassment_analysis", barge_in=False)
        ctx.tone()

    def on_idle(self, ctx: CallContext) -> None:
        if not self.done:
            self.done = True
            pause = ctx.settings.harassment.hangup_after_final_s
            ctx.end(REASON, "harassment_analysis_done", pause,
                    before_hangup=self.ladder.before_hangup)


class HarassmentQueue(Step):
    """Seed 002: the separate queue (transfer.queues.harassment); no warnings from the bot."""

    name = "harassment_queue"
    line_rules = False
    dialogue = False

    def __init__(self, ladder: Harassment) -> None:
        self.ladder = ladder
        self.sent = False

    def on_idle(self, ctx: CallContext) -> None:
        if self.sent:
            return
        self.sent = True
        queues = ctx.settings.transfer.queues
        target = queues.get(QUEUE) or queues[ctx.settings.transfer.default_queue]
        self.ladder.before_hangup(ctx)
        ctx.emit(a.Transfer(target=target, context={"reason": QUEUE}))
        ctx.start_timer(TRANSFER, ctx.settings.dialogue.hold_long_max_s)

    def on_transfer(self, ctx: CallContext, ev: e.TransferResult) -> None:
        ctx.cancel_timer(TRANSFER)
        if ev.ok:
            ctx.hangup("transferred")
        else:
            self.fall_back(ctx)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name == TRANSFER:
            self.fall_back(ctx)

    def fall_back(self, ctx: CallContext) -> None:
        ctx.mark("harassment queue unavailable: warnings")
        self.ladder.ticketed = True
        ctx.goto(self.ladder)
