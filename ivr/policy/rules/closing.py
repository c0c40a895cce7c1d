"""Closing (seed 001 结束语规范; 000/001: every call ends with "感谢您的来电,再见!").

"请问还有其他可以帮助您的吗?" -> another request starts its flow; no, goodbye, thanks or silence ->
the optional survey (when the call has a ticket) -> "感谢您的来电,再见!" -> hang up (normal).
"""

from __future__ import annotations

from ivr.policy import events as e
from ivr.policy.context import WAIT, CallContext, Step
from ivr.policy.rules.caller_name import GREETING as GREETING_SURNAME
from ivr.policy.rules.intent import (
    BUSINESS_INTENTS,
    SPECIAL_INTENTS,
    IntentStep,
    classify,
    digit_intent,
    yes_no,
)
from ivr.vocabulary import EndReason

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"closing_anything_else", "closing_goodbye", "menu", "survey"})

REASON: EndReason = "normal"
GOODBYE = "closing_goodbye"


class AnythingElse(Step):
    name = "closing"

    def enter(self, ctx: CallContext) -> None:
        ctx.play("closing_anything_else")

    def on_idle(self, ctx: CallContext) -> None:
        ctx.start_timer(WAIT, ctx.settings.dialogue.intent_timeout_s)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name == WAIT:
            finish(ctx)

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        keywords = ctx.settings.keywords(ctx.locale)
        intent = classify(ev.transcript, keywords)
        if intent is not None and (intent in BUSINESS_INTENTS or intent in SPECIAL_INTENTS):
            ctx.start_flow(intent)
        elif intent is None and yes_no(ev.transcript, keywords) is True:
            ctx.goto(IntentStep(prompts=(*_by_name(ctx), "menu"), misses=0))
        elif intent is None and ev.confidence is None and not ev.transcript:
            ctx.idle_check()  # no recogniser: wait for a key or the timeout
        else:
            finish(ctx)

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        intent = digit_intent(ctx.settings, ev.digit)
        if intent is not None:
            ctx.start_flow(intent)
        else:
            finish(ctx)


def _by_name(ctx: CallContext) -> tuple[str, ...]:
    """"王先生,请问有什么可以帮助您?" before the menu when the caller gave their name."""
    return (GREETING_SURNAME,) if ctx.knows_name else ()


def start(ctx: CallContext) -> None:
    ctx.goto(AnythingElse())


def finish(ctx: CallContext) -> None:
    """Survey if it applies, then goodbye."""
    if ctx.settings.dialogue.survey_enabled and ctx.last_request_id is not None:
        ctx.start_flow("survey")
    else:
        goodbye(ctx)


def goodbye(ctx: CallContext, *, after_current: bool = True) -> None:
    ctx.end(REASON, GOODBYE, 0.0, after_current=after_current)
