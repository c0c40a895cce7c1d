"""A request outside the hotline's service (seed 001 特殊沟通内容 5).

"非常抱歉,您的这项需求超出了我们的服务范围,很遗憾我无法帮助到您,建议您…(根据用户的需求给予适当的
建议)" -> "请问还有其他可以帮助您的吗?". Which requests are outside is the admin's list
(intents.<locale>.out_of_scope); the advice is the first [[advice.<locale>]] entry whose words
the caller used (out_of_scope_advice); none matches -> the phrase without advice.
"""

from __future__ import annotations

from ivr.policy.context import CallContext
from ivr.policy.rules import closing

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"out_of_scope", "out_of_scope_advice"})

PROMPT = "out_of_scope"


ADVICE = "out_of_scope_advice"


def advice_for(ctx: CallContext, transcript: str) -> str | None:
    from ivr.policy.rules.intent import matches

    for entry in ctx.settings.advice.get(ctx.locale, ()):  # type: ignore[call-overload]
        if matches(transcript, entry.words):
            return str(entry.text)
    return None


def start(ctx: CallContext) -> None:
    ctx.mark("out of scope")
    advice = advice_for(ctx, ctx.last_transcript)
    if advice:
        ctx.play(ADVICE, {"advice": advice})
    else:
        ctx.play(PROMPT)
    closing.start(ctx)
