"""Noisy line (seed 000 第十七条 7; seed 001 电话无法听清 3).

"对不起,您的电话杂音太大,听不清,请您换一部电话再次打来好吗?再见!" — 需重复俩次,每次间隔5秒后再挂机.
The verdict comes from LineReports and must persist (min_noisy_s) before the rule speaks.
Every pause hears the caller: a clear line, words the recogniser understood or a key take the
call back to its flow ("用户同意后可挂机, 如果无法听到用户回应" — only then the hang-up).
"""

from __future__ import annotations

from ivr.policy import events as e
from ivr.policy.context import CallContext
from ivr.policy.ladder import Ladder, Rung, back_of
from ivr.vocabulary import EndReason

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"noisy_line"})

REASON: EndReason = "noisy"
VERDICT = "noisy"


class NoisyLine(Ladder):
    reason = REASON
    name = "noisy_line"

    def rungs(self, ctx: CallContext) -> list[Rung]:
        cfg = ctx.settings.noisy_line
        return [Rung("noisy_line", cfg.interval_s)] * (cfg.repeat_count - 1) + [
            Rung("noisy_line", cfg.hangup_after_final_s)
        ]

    def on_line(self, ctx: CallContext, ev: e.LineReport) -> None:
        if ev.verdict == "ok" and ev.speech:
            self.recover(ctx)

    def usable(self, ctx: CallContext, ev: e.Event) -> bool:
        """Only WORDS understood through the noise answer: talk without a transcript (no
        recogniser, or nothing recognised) on a line that stays noisy is the noise problem
        itself, not a request to route (the demo's 0 dB SNR caller was transferred as
        'no intent' before this)."""
        if isinstance(ev, e.SpeechEnded) and not ev.transcript.strip():
            return False
        return super().usable(ctx, ev)

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        """Words the recogniser understood through the noise are an answer (issue 13: the
        pause before the hang-up hears the caller)."""
        if self.usable(ctx, ev):
            self.recover(ctx, fresh=True)
            ctx.step.on_speech(ctx, ev)
        else:
            super().on_speech(ctx, ev)

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        self.recover(ctx, fresh=True)
        ctx.step.on_dtmf(ctx, ev)


def start(ctx: CallContext) -> None:
    ctx.clear_queue()
    ctx.goto(NoisyLine(back=back_of(ctx)))
