"""The caller asks for the agent's personal details (seed 001 特殊沟通内容 4).

"遇到用户询问个人信息时,如QQ号等 '您好,我是***,有什么问题您能够拨打xxxx联系我们。' 若用户坚持要求
知道其他信息,可告知 '您好,因为工作需要,我们于工作期间规定只能通报昵称…'" — then the conversation
goes on. A caller without business who keeps asking after that is answered as seed 001 特殊沟通内容
6 answers a caller with no business (the harassment warnings, which start with an offer to help).
"""

from __future__ import annotations

from ivr.policy.context import CallContext
from ivr.policy.rules.conversation import back_step

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"personal_info", "personal_info_insist"})

FIRST = "personal_info"
INSIST = "personal_info_insist"


def start(ctx: CallContext) -> None:
    asked = ctx.count_ask(FIRST)
    ctx.mark(f"personal info asked {asked}")
    if asked > 2 and not ctx.business:
        ctx.start_flow("harassment")
        return
    ctx.play(FIRST if asked == 1 else INSIST)
    ctx.goto(back_step(ctx))
