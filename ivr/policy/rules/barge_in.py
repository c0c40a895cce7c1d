"""Barge-in: caller speech (or a key) during an interruptible phrase stops it.

Speech needs evidence before it cuts a phrase (issue 13 defect 7): it must have lasted
dialogue.barge_in_min_speech_s, and the line monitor must call it clear (verdict ok) after it
has watched the line for one full window (line.window_s from the answer) — before that the
monitor has no noise floor and calls hiss "ok" (the demo's noisy caller lost the greeting at
0.08 s). A noisy or too-quiet report restarts the count: a noisy line or a caller too quiet to
be understood must hear the phrase that tells them so, not have it cut by their own line.

Phrases with `barge_in = false` in the catalogue (the final phrases before a hang-up) always
play to the end; dialogue.barge_in = false turns barge-in off for the whole catalogue. A key
always cuts at once (a DTMF digit is evidence by itself).
"""

from __future__ import annotations

from ivr.policy import events as e
from ivr.policy.context import CallContext


def on_caller_activity(ctx: CallContext) -> bool:
    """Stop the current phrase if the caller may talk over it; True if it was stopped."""
    if ctx.playing is not None and ctx.playing.barge_in:
        ctx.interrupt()
        return True
    return False


class BargeInGate:
    """Collects the evidence that one speech segment is a caller talking over the phrase."""

    def __init__(self) -> None:
        self.started_t: float | None = None  # the segment's start, or its last bad report
        self.clear = False  # the monitor called the segment clear since then (once settled)

    def speech_started(self, ev: e.SpeechStarted) -> None:
        self.started_t = ev.t
        self.clear = False

    def _ready(self, ctx: CallContext, t: float) -> bool:
        if self.started_t is None or not self.clear:
            return False
        return t - self.started_t >= ctx.settings.dialogue.barge_in_min_speech_s - 1e-9

    def line(self, ctx: CallContext, ev: e.LineReport) -> bool:
        """True when this report completes the evidence: cut the phrase now."""
        if self.started_t is None:
            return False
        settled = ctx.answered is not None and ev.t - ctx.answered.t >= ctx.settings.line.window_s
        if ev.speech and ev.verdict in ("noisy", "low_volume"):
            self.started_t = ev.t  # the evidence starts again after the bad stretch
            self.clear = False
        elif ev.speech and ev.verdict == "ok" and settled:
            self.clear = True
        if self._ready(ctx, ev.t):
            self.started_t = None
            return True
        return False

    def speech_ended(self, ctx: CallContext, ev: e.SpeechEnded) -> bool:
        """A segment that ends before the next report still counts if it was long and clear."""
        ready = self._ready(ctx, ev.t)
        self.started_t = None
        return ready
