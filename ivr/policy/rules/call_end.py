"""Ends that do not come from a ladder: shutdown, the call-length bound, the caller hanging up.

Every hang-up has a reason and (except when the caller is already gone) is preceded by its
standard phrase: the drain and the length bound both say "感谢您的来电,再见!".
A complaint heard but not yet filed is filed first, marked not confirmed (000 第八条; issue 13
defect 5): the session executes the ticket before it hangs up.
"""

from __future__ import annotations

from ivr.policy.context import CallContext
from ivr.policy.rules import complaint
from ivr.policy.rules.closing import GOODBYE
from ivr.vocabulary import EndReason

SHUTDOWN: EndReason = "shutdown"
MAX_DURATION: EndReason = "max_duration"
CALLER_HANGUP: EndReason = "caller_hangup"


def shutdown(ctx: CallContext) -> None:
    complaint.file_unconfirmed(ctx, "the agent was draining")
    ctx.end(SHUTDOWN, GOODBYE, 0.0)


def max_duration(ctx: CallContext) -> None:
    complaint.file_unconfirmed(ctx, "the call reached dialogue.max_call_s")
    ctx.end(MAX_DURATION, GOODBYE, 0.0)


def caller_hung_up(ctx: CallContext) -> None:
    """The caller left: file a complaint they did not get to confirm, then clean up."""
    complaint.file_unconfirmed(ctx, "caller hung up before confirming")
    ctx.hangup(CALLER_HANGUP)
