"""An angry caller with a real problem (seed 001 用户抱怨和投诉 2).

"我非常希望能为您解决问题,请您将情况告诉我,让我帮您解决,好吗?" — abuse words from a caller
who came with business are anger, not harassment; after transfer.angry_turns_count such turns a
person takes over (用户抱怨和投诉 6).
"""

from __future__ import annotations

from ivr.policy.context import CallContext

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"angry_caller"})


def on_abuse(ctx: CallContext) -> None:
    ctx.angry_turns += 1
    ctx.mark(f"angry turn {ctx.angry_turns}")
    if ctx.angry_turns >= ctx.settings.transfer.angry_turns_count:
        ctx.start_flow("person", why="angry")
        return
    ctx.interrupt()
    ctx.play("angry_caller")
    ctx.idle_check()
