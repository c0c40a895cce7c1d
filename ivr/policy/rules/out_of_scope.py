"""A request outside the hotline's service (seed 001 特殊沟通内容 5).

"非常抱歉,您的这项需求超出了我们的服务范围,很遗憾我无法帮助到您" -> "请问还有其他可以帮助您的吗?".
Which requests are outside is the admin's list (intents.<locale>.out_of_scope in config).
"""

from __future__ import annotations

from ivr.policy.context import CallContext
from ivr.policy.rules import closing

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"out_of_scope"})

PROMPT = "out_of_scope"


def start(ctx: CallContext) -> None:
    ctx.mark("out of scope")
    ctx.play(PROMPT)
    closing.start(ctx)
