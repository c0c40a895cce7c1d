"""The caller cannot hear the bot (seed 001 电话无法听清 6).

"遇到用户抱怨声音小或者听不清时 '非常抱歉,(稍微提高自己的音量),请问当下您能够听到吗?' 注意要循序渐进
的提高,不可一下将音量提的过高." Words of intents.<locale>.cannot_hear -> the playback gets
dialogue.louder_step_db louder (PlaybackGain, never above dialogue.louder_max_db) -> the question
-> back to where the call was.
"""

from __future__ import annotations

from ivr.policy import actions as a
from ivr.policy.context import CallContext
from ivr.policy.rules.conversation import back_step

PROMPT = "can_you_hear_now"
PROMPTS = frozenset({PROMPT})  # gathered by ivr.policy.catalogue


def start(ctx: CallContext) -> None:
    cfg = ctx.settings.dialogue
    louder = min(ctx.gain_db + cfg.louder_step_db, cfg.louder_max_db)
    if louder > ctx.gain_db:
        ctx.gain_db = louder
        ctx.emit(a.PlaybackGain(gain_db=louder))
    ctx.mark(f"caller cannot hear: playback +{ctx.gain_db:.0f} dB")
    ctx.interrupt()
    ctx.play(PROMPT)
    ctx.goto(back_step(ctx))
