"""Barge-in: caller speech (or a key) during an interruptible phrase stops it.

Speech counts once the line monitor reports it clear (a LineReport with speech and verdict
ok, at most a few hundred ms after the onset): a noisy line or a caller too quiet to be
understood must hear the phrase that tells them so, not have it cut by their own line.

Phrases with `barge_in = false` in the catalogue (the final phrases before a hang-up) always
play to the end; dialogue.barge_in = false turns barge-in off for the whole catalogue.
"""

from __future__ import annotations

from ivr.policy.context import CallContext


def on_caller_activity(ctx: CallContext) -> bool:
    """Stop the current phrase if the caller may talk over it; True if it was stopped."""
    if ctx.playing is not None and ctx.playing.barge_in:
        ctx.interrupt()
        return True
    return False
