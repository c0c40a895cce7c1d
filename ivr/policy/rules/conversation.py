"""Where the conversation goes on after a side answer (a named colleague, personal details).

The seeds answer these requests and then carry on: after the greeting the caller is asked again
for their business (no new phrase: the answer itself ends with a question); at the closing
question, that question is asked again.
"""

from __future__ import annotations

from ivr.policy.context import CallContext, Step
from ivr.policy.rules.closing import AnythingElse
from ivr.policy.rules.intent import IntentStep


def back_step(ctx: CallContext) -> Step:
    """The step to return to from the current one, keeping its miss counts."""
    step = ctx.step
    if isinstance(step, AnythingElse):
        return AnythingElse()
    if isinstance(step, IntentStep):
        return IntentStep(prompts=(), misses=step.misses, talk_misses=step.talk_misses)
    return IntentStep(prompts=())
