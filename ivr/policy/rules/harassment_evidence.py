"""What counts as evidence of harassment (seed 002 骚扰电话的处理; seed 001 特殊沟通内容 6; 004).

Seed 002: "也有一部分装成有需求的客户…起先时找些借口东拉西扯,然后慢慢暴露不良企图。对座席代表来说,
试着引导转回规定主题。当你意识到对方根本对公司产品、服务不感爱好时就可判定为骚扰电话。"
Seed 004 三不: "不责备、埋怨客户" — a caller is never warned for words the bot failed to understand.

Evidence (any ONE starts the harassment ladder of rules/harassment.py; the ticket records which):
1. ``abuse``: a word of ``intents.<locale>.abuse`` before any business was stated (once business is
   on the table the same words come from an angry customer: rules/angry.py).
2. ``non_business``: words of ``intents.<locale>.non_business`` (talk about anything but the
   company's products and services) AFTER the caller was steered back once with the phrase
   ``steer_to_business`` (seed 002 "试着引导转回规定主题").
3. ``blacklisted``: the number was blacklisted after an earlier harassment call
   (``Answered.blacklisted`` with ``harassment.blacklist_treatment = "harassment_flow"``).

Not evidence: unrecognised words, low recogniser confidence, silence, repeated misses, a caller
who keeps talking. Those are clarified ("请您将刚才的问题重讲一遍") and then handed to a person, or
to a callback ticket after hours (rules/intent.py ``IntentStep.miss``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ivr.policy.context import CallContext

if TYPE_CHECKING:
    from ivr.policy.rules.intent import IntentStep

ABUSE = "abuse"
NON_BUSINESS = "non_business"
BLACKLISTED = "blacklisted"
EVIDENCE = (ABUSE, NON_BUSINESS, BLACKLISTED)
STEER_PROMPT = "steer_to_business"
# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({STEER_PROMPT})


def non_business(ctx: CallContext, transcript: str) -> bool:
    """The words are explicitly about something other than the company's business."""
    from ivr.policy.rules.intent import matches

    words = ctx.settings.keywords(ctx.locale).get(NON_BUSINESS, ())
    return bool(transcript) and matches(transcript, words)


def steer_or_start(ctx: CallContext, step: IntentStep) -> None:
    """First non-business talk: steer the caller back. Again after that: evidence."""
    from ivr.policy.rules.intent import IntentStep

    if ctx.steered:
        ctx.start_flow("harassment", evidence=NON_BUSINESS)
        return
    ctx.steered = True
    ctx.mark("steered back to business")
    ctx.play(STEER_PROMPT)
    ctx.goto(IntentStep(prompts=(), misses=step.misses, talk_misses=step.talk_misses))
