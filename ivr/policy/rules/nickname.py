"""The caller asks the representative's name (seed 001 特殊沟通内容 3).

"遇到用户询问自己的昵称时 '我是***,如我的服务有不周到的地方,欢迎您随时指正,我会不断改进的。'" —
the agent name from service.agent_name, then the conversation goes on where it was.
Words: intents.<locale>.nickname (personal details beyond the name stay with personal_info).
"""

from __future__ import annotations

from ivr.policy.context import CallContext
from ivr.policy.rules.conversation import back_step

PROMPT = "nickname"
PROMPTS = frozenset({PROMPT})  # gathered by ivr.policy.catalogue


def start(ctx: CallContext) -> None:
    ctx.mark("nickname asked")
    ctx.play(PROMPT)
    ctx.goto(back_step(ctx))
