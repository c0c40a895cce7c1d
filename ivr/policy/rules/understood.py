"""Was the explanation clear? (seed 001 结束语规范 1).

"向用户解释完毕后,应确认用户是否明了 '请问我刚才的解释您是否清楚?'
若用户不能完全明白,应将用户不明白的地方重新解释,直到用户明白为止." After a callback promise
(an inquiry, after hours, a transfer that failed, a named colleague) the bot asks
closing_understood when dialogue.ask_understood is on.
"Not clear" replays the explanation and asks again, at most dialogue.intent_attempts_count
times; clear, silence or anything else goes on to "请问还有其他可以帮助您的吗?". A new request
starts its flow. The complaint flow does not ask: seed 001 投诉 8 closes it with its own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ivr.policy import events as e
from ivr.policy.context import WAIT, CallContext, Step
from ivr.policy.rules import closing, contact_number
from ivr.policy.rules.intent import (
    BUSINESS_INTENTS,
    SPECIAL_INTENTS,
    classify,
    digit_intent,
    matches,
    yes_no,
)

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"closing_understood"})

PROMPT = "closing_understood"


def explain(ctx: CallContext, prompt_id: str, vars: Mapping[str, Any] | None = None) -> None:
    """Say an explanation (a callback promise), then check it was understood, then close.

    A callback promise first asks for the caller's contact number (rules/contact_number.py).
    """
    if contact_number.wanted(ctx, prompt_id):
        contact_number.ask(ctx, lambda c: _explain(c, prompt_id, vars))
        return
    _explain(ctx, prompt_id, vars)


def _explain(ctx: CallContext, prompt_id: str, vars: Mapping[str, Any] | None) -> None:
    ctx.play(prompt_id, vars)
    if ctx.settings.dialogue.ask_understood:
        ctx.goto(Understood(prompt_id, dict(vars or {})))
    else:
        closing.start(ctx)


def understood(text: str, keywords: Mapping[str, Any]) -> bool | None:
    """True for "清楚了", False for "不明白" (checked first), None when the words say neither."""
    if matches(text, keywords.get("not_understood", ())):
        return False
    if matches(text, keywords.get("understood", ())):
        return True
    return None


class Understood(Step):
    name = "understood"

    def __init__(self, prompt_id: str, vars: Mapping[str, Any], asked: int = 1) -> None:
        self.prompt_id = prompt_id  # the explanation, replayed when it was not clear
        self.vars = dict(vars)
        self.asked = asked

    def enter(self, ctx: CallContext) -> None:
        ctx.play(PROMPT)

    def on_idle(self, ctx: CallContext) -> None:
        ctx.start_timer(WAIT, ctx.settings.dialogue.intent_timeout_s)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name == WAIT:
            closing.start(ctx)  # no answer: on to the closing question

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        if ev.confidence is None and not ev.transcript:
            ctx.idle_check()  # no recogniser: wait for a key or the timeout
            return
        keywords = ctx.settings.keywords(ctx.locale)
        clear = understood(ev.transcript, keywords)
        if clear is None and yes_no(ev.transcript, keywords) is False:
            clear = False
        if clear is False:
            self.again(ctx)
            return
        intent = classify(ev.transcript, keywords)
        if intent is not None and (
            intent in BUSINESS_INTENTS or intent in SPECIAL_INTENTS or intent == "thanks"
        ):
            ctx.start_flow(intent)
        elif intent == "goodbye":
            closing.finish(ctx)
        else:
            closing.start(ctx)

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        intent = digit_intent(ctx.settings, ev.digit)
        if intent is not None:
            ctx.start_flow(intent)
        else:
            closing.start(ctx)

    def again(self, ctx: CallContext) -> None:
        """Not clear: explain once more and ask again, within the attempts allowed."""
        if self.asked >= ctx.settings.dialogue.intent_attempts_count:
            closing.start(ctx)
            return
        ctx.interrupt()
        ctx.play(self.prompt_id, self.vars)
        ctx.goto(Understood(self.prompt_id, self.vars, self.asked + 1))
