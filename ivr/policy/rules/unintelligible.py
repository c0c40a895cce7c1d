"""Unintelligible speech / dialect (seed 000 第十七条 8; seed 001 电话无法听清 4).

Clear, loud speech the recogniser cannot understand -> "对不起,请您讲普通话,好吗?谢谢!" ->
"请您叫身边的其他人帮您说一下,好吗?" -> "请您找其他人帮助您来电,好吗?再见!" 停顿5秒 -> hang up.
The ladder climbs on the next unintelligible utterance, or when the caller stays silent.
"""

from __future__ import annotations

from ivr.config import Settings
from ivr.policy import events as e
from ivr.policy.context import WAIT, CallContext, Step
from ivr.policy.ladder import Ladder, Rung
from ivr.vocabulary import EndReason

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"dialect_ask_someone_nearby", "dialect_final", "dialect_speak_mandarin"})

REASON: EndReason = "unintelligible"


def is_unintelligible(settings: Settings, ev: e.SpeechEnded, line_clear: bool = True) -> bool:
    """Loud, clear, long-enough speech that the recogniser did not understand."""
    if ev.confidence is None or not line_clear:
        return False
    if ev.duration_s < settings.unintelligible.min_speech_s:
        return False
    if ev.level_dbfs is not None and ev.level_dbfs < settings.line.low_volume_below_dbfs:
        return False  # quiet speech is the low-volume rule's business
    return ev.confidence < settings.unintelligible.min_confidence or not ev.in_vocabulary


class Unintelligible(Ladder):
    reason = REASON
    name = "unintelligible"
    timer = WAIT
    line_rules = True

    def rungs(self, ctx: CallContext) -> list[Rung]:
        cfg = ctx.settings.unintelligible
        wait = ctx.settings.dialogue.intent_timeout_s
        return (
            [Rung("dialect_speak_mandarin", wait)] * cfg.speak_mandarin_rounds_count
            + [Rung("dialect_ask_someone_nearby", wait)] * cfg.ask_someone_nearby_rounds_count
            + [Rung("dialect_final", cfg.hangup_after_final_s, final=True)]
        )

    @staticmethod
    def min_speech_s(ctx: CallContext) -> float:
        return ctx.settings.unintelligible.min_speech_s

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        if is_unintelligible(ctx.settings, ev):
            ctx.interrupt()
            self.climb(ctx)
        elif ev.confidence is not None and ev.duration_s >= self.min_speech_s(ctx):
            self.recover(ctx)
            ctx.step.on_speech(ctx, ev)
        else:
            super().on_speech(ctx, ev)


def start(ctx: CallContext) -> None:
    step = ctx.step
    back: Step | None = step.back if isinstance(step, Ladder) else step
    ctx.interrupt()
    ctx.goto(Unintelligible(back=back))
