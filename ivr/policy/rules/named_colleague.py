"""The caller asks for a named colleague (seed 001 特殊沟通内容 1).

"您好,请问您有什么问题需要咨询呢?我很乐意为您解答。" — 如果用户表示一定要找这位同事 "我们每位同事均
接受过专业的培训,同样能够为您提供专业的服务…" — 如果用户仍不满意,且表明只有该同事才能处理他的问题时,
建议用户留下联系电话及回复时间: a callback ticket (the caller's words name the colleague for the
desk) and the callback promise with the hours from the commitment table, then the closing.
"""

from __future__ import annotations

from ivr.policy.context import CallContext
from ivr.policy.rules.conversation import back_step
from ivr.policy.rules.understood import explain
from ivr.vocabulary import TicketCategory

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"callback_promise", "named_colleague", "named_colleague_insist"})

FIRST = "named_colleague"
INSIST = "named_colleague_insist"
CATEGORY: TicketCategory = "callback"
PROMISE = "callback_promise"


def start(ctx: CallContext) -> None:
    asked = ctx.count_ask(FIRST)
    ctx.mark(f"named colleague asked {asked}")
    if asked <= 2:
        ctx.play(FIRST if asked == 1 else INSIST)
        ctx.goto(back_step(ctx))
        return
    ctx.business = True
    ctx.open_ticket(
        CATEGORY,
        summary="callback: the caller asks for a named colleague",
        transcript=ctx.last_transcript,
        notes=FIRST,
    )
    explain(ctx, PROMISE, {"hours": ctx.promised_hours(CATEGORY)})
