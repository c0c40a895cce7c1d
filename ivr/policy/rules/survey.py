"""Optional satisfaction survey (seed 003 客户满意度跟踪): keys 1-5 stored on the call's ticket."""

from __future__ import annotations

from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy.context import WAIT, CallContext, Step
from ivr.policy.rules.closing import goodbye

# The catalogue phrases this rule plays (ivr.policy.catalogue gathers them for the check).
PROMPTS = frozenset({"survey", "survey_thanks"})

SCORES = frozenset("12345")


class Survey(Step):
    name = "survey"
    line_rules = False

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id

    def enter(self, ctx: CallContext) -> None:
        ctx.play("survey")

    def on_idle(self, ctx: CallContext) -> None:
        ctx.start_timer(WAIT, ctx.settings.dialogue.survey_timeout_s)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name == WAIT:
            goodbye(ctx)

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        if ev.digit not in SCORES:
            ctx.idle_check()
            return
        ctx.emit(a.UpdateTicket(request_id=self.request_id, fields={"satisfaction": int(ev.digit)}))
        ctx.play("survey_thanks")
        goodbye(ctx)


def start(ctx: CallContext) -> None:
    assert ctx.last_request_id is not None
    ctx.goto(Survey(ctx.last_request_id))
