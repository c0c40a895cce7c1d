"""The caller asks for a named colleague (seed 001 特殊沟通内容 1).

"您好,请问您有什么问题需要咨询呢?我很乐意为您解答。" — 如果用户表示一定要找这位同事 "我们每位同事均
接受过专业的培训,同样能够为您提供专业的服务…" — 如果用户仍不满意,且表明只有该同事才能处理他的问题时,
建议用户留下联系电话及回复时间: a callback ticket (the caller's words name the colleague for the
desk) and the callback promise with the hours from the commitment table, then the closing.
Private reason (intents.<locale>.private_reason): "如用户表示由于私人原因要找这位同事,能够婉转拒绝
'非常抱歉,工作期间不方便帮您转告,请您拨打他的私人电话联系他(她),好吗?' 用户同意后,'谢谢您对我们工作
的配合,再见!' 如用户不同意,重复解释俩次,且停顿5秒后挂机。" (PrivateReason below).
"""

from __future__ import annotations

from ivr.policy import events as e
from ivr.policy.context import WAIT, CallContext
from ivr.policy.ladder import Ladder, Rung
from ivr.policy.rules.conversation import back_step
from ivr.policy.rules.intent import matches, yes_no
from ivr.policy.rules.understood import explain
from ivr.vocabulary import EndReason, TicketCategory

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"callback_promise", "named_colleague", "named_colleague_insist",
                     "named_colleague_private", "named_colleague_private_bye"})

FIRST = "named_colleague"
INSIST = "named_colleague_insist"
CATEGORY: TicketCategory = "callback"
PROMISE = "callback_promise"
PRIVATE = "named_colleague_private"
PRIVATE_BYE = "named_colleague_private_bye"


class PrivateReason(Ladder):
    """The explanation, repeated twice more on disagreement, then 5 s and the hang-up."""

    reason: EndReason = "normal"
    name = "named_colleague_private"
    timer = WAIT

    def rungs(self, ctx: CallContext) -> list[Rung]:
        wait = ctx.settings.dialogue.intent_timeout_s
        pause = ctx.settings.silent_call.after_final_notice_s  # "停顿5秒后挂机"
        return [Rung(PRIVATE, wait), Rung(PRIVATE, wait), Rung(PRIVATE, pause)]

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        answer = yes_no(ev.transcript, ctx.settings.keywords(ctx.locale))
        if answer is True:
            ctx.end("normal", PRIVATE_BYE)
        elif answer is False or ev.transcript:
            ctx.interrupt()
            self.climb(ctx)
        else:
            super().on_speech(ctx, ev)


def start(ctx: CallContext) -> None:
    if matches(ctx.last_transcript, ctx.settings.keywords(ctx.locale).get("private_reason", ())):
        ctx.mark("named colleague for a private reason")
        ctx.goto(PrivateReason(back=back_step(ctx)))
        return
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
    explain(ctx, PROMISE, ctx.promise(CATEGORY))
