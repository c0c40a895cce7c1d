"""Low volume and speakerphone (seed 000 第十七条 5-6; seed 001 电话无法听清 1-2).

"对不起!请您大声一点,好吗?" (or, on a speakerphone, "请您拿起话筒说话好吗?"); still too quiet ->
"对不起!您的电话声音太小,请您换一部电话打来,好吗?" 然后过5秒挂机. Never hang up without saying it.
The verdict comes from LineReports and must persist (min_low_speech_s of quiet speech) first.
"""

from __future__ import annotations

from ivr.config import Settings
from ivr.policy import events as e
from ivr.policy.context import CallContext, Step
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


class LowVolume(Ladder):
    reason = REASON
    name = "low_volume"

    def __init__(self, back: Step | None = None, reverberant: bool = False) -> None:
        super().__init__(back)
        self.reverberant = reverberant

    def rungs(self, ctx: CallContext) -> list[Rung]:
        cfg = ctx.settings.low_volume
        first = first_prompt(ctx.settings, self.reverberant)
        return [Rung(first, cfg.wait_after_prompt_s)] * cfg.speak_louder_rounds_count + [
            Rung("low_volume_call_again", cfg.hangup_after_final_s, final=True)
        ]

    def on_line(self, ctx: CallContext, ev: e.LineReport) -> None:
        if ev.verdict == "ok" and ev.speech:
            self.recover(ctx)


def start(ctx: CallContext, reverberant: bool = False) -> None:
    """Take over after the current phrase (it is not cut: the caller hears us fine)."""
    ctx.clear_queue()
    ctx.goto(LowVolume(back=back_of(ctx), reverberant=reverberant))
