"""Low volume and speakerphone (seed 000 第十七条 5-6; seed 001 电话无法听清 1-2).

"对不起!请您大声一点,好吗?" (or, on a speakerphone, "请您拿起话筒说话好吗?"); "若仍听不清楚" ->
"对不起!您的电话声音太小,请您换一部电话挂来,好吗?" 然后过5秒挂机. Never hang up without saying it.
The verdict comes from LineReports and must persist (min_low_speech_s of quiet speech) first.

"若仍听不清楚" depends on what is heard AFTER the phrase (issue 13 defect 3): quiet speech again
-> the next phrase; clear speech -> back to the call; nothing at all within wait_after_prompt_s
-> the line is silent now and the silent-call rule (000 第十六条 3) takes over at its re-prompt.
The pause after the final phrase hears the caller too (rules/../ladder.py ``usable``).
"""

from __future__ import annotations

from ivr.config import Settings
from ivr.policy import events as e
from ivr.policy.context import LADDER, CallContext, Step
from ivr.policy.ladder import Ladder, Rung, back_of
from ivr.vocabulary import EndReason

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset(
    {
        "low_volume_call_again",
        "low_volume_pick_up_handset",
        "low_volume_speak_louder",
    }
)

REASON: EndReason = "low_volume"
VERDICT = "low_volume"
def first_prompt(settings: Settings, reverberant: bool) -> str:
    """Speakerphone variant when the line sounds reverberant (first_prompt auto)."""
    choice = settings.low_volume.first_prompt
    if choice == "auto":
        return "low_volume_pick_up_handset" if reverberant else "low_volume_speak_louder"
    return f"low_volume_{choice}"


def _quiet(settings: Settings, ev: e.SpeechEnded) -> bool:
    return ev.level_dbfs is not None and ev.level_dbfs < settings.line.low_volume_below_dbfs


class LowVolume(Ladder):
    reason = REASON
    name = "low_volume"

    def __init__(self, back: Step | None = None, reverberant: bool = False) -> None:
        super().__init__(back)
        self.reverberant = reverberant
        self.still_quiet = False  # quiet speech heard in the current pause
        self.deferred = False  # the first phrase waits for the one playing

    def enter(self, ctx: CallContext) -> None:
        if ctx.playing is not None:
            self.deferred = True  # said when the phrase playing ends (the line is known better)
            return
        self._say(ctx)

    def on_idle(self, ctx: CallContext) -> None:
        if self.deferred:
            self.deferred = False
            self._say(ctx)
            return
        super().on_idle(ctx)

    def rungs(self, ctx: CallContext) -> list[Rung]:
        cfg = ctx.settings.low_volume
        first = first_prompt(ctx.settings, self.reverberant)
        return [Rung(first, cfg.wait_after_prompt_s)] * cfg.speak_louder_rounds_count + [
            Rung("low_volume_call_again", cfg.hangup_after_final_s, final=True)
        ]

    @property
    def pausing(self) -> bool:
        """The current phrase has ended and its pause runs."""
        return self.armed == self.index

    def on_line(self, ctx: CallContext, ev: e.LineReport) -> None:
        # A hands-free line may be recognised only after a few pauses (ivr/media/reverb.py):
        # the phrase is chosen when it is said, not when the rule started.
        self.reverberant = self.reverberant or ev.reverberant
        if ev.verdict == "ok" and ev.speech:
            self.recover(ctx)
        elif ev.verdict == VERDICT and ev.speech and self.pausing:
            self.still_quiet = True

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        if _quiet(ctx.settings, ev):
            if self.pausing:
                self.still_quiet = True
            ctx.idle_check()
        elif self.usable(ctx, ev):
            self.recover(ctx, fresh=True)
            ctx.step.on_speech(ctx, ev)
        else:
            ctx.idle_check()

    def usable(self, ctx: CallContext, ev: e.Event) -> bool:
        """In the final pause a clearly heard line is an answer too."""
        if isinstance(ev, e.LineReport):
            return ev.verdict == "ok" and ev.speech
        return super().usable(ctx, ev)

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        self.recover(ctx, fresh=True)
        ctx.step.on_dtmf(ctx, ev)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name != LADDER:
            return
        if self.still_quiet:
            self.still_quiet = False
            self.climb(ctx)
            return
        from ivr.policy.rules.silent_call import SilentCall

        ctx.mark("low_volume: nothing heard after the phrase, silent line")
        ctx.goto(SilentCall(back=self.back, start=1))


def start(ctx: CallContext, reverberant: bool = False) -> None:
    """Take over after the current phrase (it is not cut: the caller hears us fine)."""
    ctx.clear_queue()
    ctx.goto(LowVolume(back=back_of(ctx), reverberant=reverberant))
