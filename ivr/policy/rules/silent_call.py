"""Silent call (seed 000 第十六条 3; seed 001 无声电话).

"您好!请问有什么可以帮助您?" 稍停5秒还是无声 -> "您好,请问有什么可以帮助您?" 稍停5秒 ->
"对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!" 再稍停5秒,挂机.
Any speech or key at any step returns the call to the normal flow and cancels the pending timer.
Seed 001 无声电话 adds "感谢您的来电,再见!" after the notice's pause
(silent_call.goodbye_after_notice, off by default because 000's notice already ends with 再见);
the call hangs up when it ends.
A re-prompt addresses the caller by name when the name is known (greeting_surname).
"""

from __future__ import annotations

from ivr.policy import events as e
from ivr.policy.context import CallContext
from ivr.policy.ladder import Ladder, Rung
from ivr.policy.rules.caller_name import reprompt
from ivr.policy.rules.intent import IntentStep
from ivr.vocabulary import EndReason

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"silent_final_notice", "silent_goodbye", "silent_reprompt"})

REASON: EndReason = "silent"
GOODBYE = "silent_goodbye"


class AfterGreeting(IntentStep):
    """The intent step right after the greeting: when the greeting (and menu) have been said
    and nothing at all was heard, the silent-call ladder starts (its first rung is the pause
    after the greeting); after a word or a key it is an ordinary intent step."""

    def on_idle(self, ctx: CallContext) -> None:
        if not ctx.heard:
            ctx.goto(SilentCall(back=IntentStep(prompts=(), misses=self.misses)))
            return
        super().on_idle(ctx)


class SilentCall(Ladder):
    reason = REASON
    name = "silent_call"
    line_rules = True
    preemptible = True  # quiet or noisy sound on the line: not a silent call after all

    def rungs(self, ctx: CallContext) -> list[Rung]:
        cfg = ctx.settings.silent_call
        rungs = (
            [Rung(None, cfg.after_greeting_s)]
            + [Rung(reprompt(ctx, "silent_reprompt"), cfg.after_reprompt_s)] * cfg.reprompt_count
            + [Rung("silent_final_notice", cfg.after_final_notice_s)]
        )
        if cfg.goodbye_after_notice:
            rungs.append(Rung(GOODBYE, 0.0, final=True))
        return rungs

    def on_speech_started(self, ctx: CallContext, ev: e.SpeechStarted) -> None:
        self.recover(ctx)
        ctx.step.on_speech_started(ctx, ev)

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        self.recover(ctx)
        ctx.step.on_speech(ctx, ev)

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        self.recover(ctx)
        ctx.step.on_dtmf(ctx, ev)
