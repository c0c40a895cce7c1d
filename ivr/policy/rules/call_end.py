"""Ends that do not come from a ladder: shutdown, the call-length bound, the caller hanging up.

Every hang-up has a reason and (except when the caller is already gone) is preceded by its
standard phrase: the drain and the length bound both say "感谢您的来电,再见!".
"""

from __future__ import annotations

from ivr.policy.context import CallContext
from ivr.policy.rules.closing import GOODBYE
from ivr.vocabulary import EndReason

SHUTDOWN: EndReason = "shutdown"
MAX_DURATION: EndReason = "max_duration"
CALLER_HANGUP: EndReason = "caller_hangup"


def shutdown(ctx: CallContext) -> None:
    ctx.end(SHUTDOWN, GOODBYE, 0.0)


def max_duration(ctx: CallContext) -> None:
    ctx.end(MAX_DURATION, GOODBYE, 0.0)


def caller_hung_up(ctx: CallContext) -> None:
    """The caller left: file a recorded complaint they did not get to confirm, then clean up."""
    if ctx.pending_complaint and ctx.ending is None:
        ctx.open_ticket(
            "complaint",
            summary=ctx.pending_complaint[:60],
            transcript=ctx.pending_complaint,
            recording=True,
            notes="caller hung up before confirming",
        )
        ctx.pending_complaint = None
    ctx.hangup(CALLER_HANGUP)
