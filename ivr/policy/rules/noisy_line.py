"""Noisy line (seed 000 第十七条 7; seed 001 电话无法听清 3).

"对不起,您的电话杂音太大,听不清,请您换一部电话再次打来好吗?再见!" — 需重复俩次,每次间隔5秒后再挂机.
The verdict comes from LineReports and must persist (min_noisy_s) before the rule speaks.
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


def start(ctx: CallContext) -> None:
    ctx.clear_queue()
    ctx.goto(NoisyLine(back=back_of(ctx)))
