"""A ladder: the seeds' escalation pattern "say X, pause N s, say Y, pause, ..., hang up".

The silent, low-volume, noisy, unintelligible and harassment rules are all ladders that differ
only in their rungs, in what moves them up (time, or another bad utterance) and in what lets the
call go back to the normal flow. Pauses start when the rung's phrase FINISHES.

The helpers the line-condition ladders share live here too: `back_of` (where to return) and
`ConditionWatch` (how long a bad line verdict has lasted).
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.policy import events as e
from ivr.policy.context import LADDER, WAIT, CallContext, Step
from ivr.vocabulary import EndReason


@dataclass(frozen=True)
class Rung:
    prompt_id: str | None  # None: only a pause (e.g. the silence after the greeting)
    pause_s: float  # from the end of the phrase to the next rung
    final: bool = False  # committed: the standard phrase before the hang-up, no way back


class Ladder(Step):
    """Base of every escalation rule; subclasses give `rungs` and the way back."""

    reason: EndReason = "normal"
    timer = LADDER  # LADDER: pure time; WAIT: paused while the caller speaks
    line_rules = False
    preemptible = False  # may a line-condition ladder (low volume, noisy) take over?

    def __init__(self, back: Step | None = None) -> None:
        # A pure-time ladder's pause starts when its phrase ends, talking or not.
        self.waits_for_quiet = self.timer == WAIT
        self.back = back  # the step to return to when the caller recovers
        self.index = 0
        self.armed = -1

    def rungs(self, ctx: CallContext) -> list[Rung]:
        raise NotImplementedError

    def enter(self, ctx: CallContext) -> None:
        self._say(ctx)

    def _say(self, ctx: CallContext) -> None:
        rungs = self.rungs(ctx)
        rung = rungs[self.index]
        ctx.mark(f"{self.reason} rung {self.index + 1}/{len(rungs)}")
        if rung.final and rung.prompt_id is not None:
            ctx.end(self.reason, rung.prompt_id, rung.pause_s, before_hangup=self.before_hangup)
        elif rung.prompt_id is not None:
            ctx.play(rung.prompt_id)

    def before_hangup(self, ctx: CallContext) -> None:
        """Actions due just before the hang-up (e.g. the harassment ticket)."""

    def on_idle(self, ctx: CallContext) -> None:
        self.arm(ctx)

    def arm(self, ctx: CallContext, *, again: bool = False) -> None:
        if self.armed == self.index and not again:
            return
        self.armed = self.index
        ctx.start_timer(self.timer, self.rungs(ctx)[self.index].pause_s)

    def on_timer(self, ctx: CallContext, name: str) -> None:
        if name == self.timer:
            self.climb(ctx)

    def climb(self, ctx: CallContext) -> None:
        """Go one rung up; past the last rung the call ends with this ladder's reason."""
        ctx.cancel_timer(self.timer)
        self.index += 1
        if self.index >= len(self.rungs(ctx)):
            ctx.hangup(self.reason)
            return
        self._say(ctx)
        ctx.idle_check()

    def recover(self, ctx: CallContext) -> None:
        """The caller is fine again: back to the normal flow, pending timers cancelled."""
        ctx.mark(f"{self.reason} recovered")
        back = self.back
        if back is None:
            from ivr.policy.rules.intent import IntentStep

            back = IntentStep(prompts=())
        ctx.goto(back)

    # Speech neither recovers nor climbs by default; a silent pause keeps running.
    def on_speech_started(self, ctx: CallContext, ev: e.SpeechStarted) -> None:
        if self.timer == WAIT:
            ctx.cancel_timer(WAIT)

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        if self.timer == WAIT and ctx.playing is None and not ctx.queue:
            self.arm(ctx, again=True)
        else:
            ctx.idle_check()  # arms the pause if it is not running yet


def back_of(ctx: CallContext) -> Step | None:
    """Where a line-condition ladder returns when the line recovers: the step it interrupts,
    or, when that is itself a ladder, the step that ladder would have returned to."""
    step = ctx.step
    return step if not isinstance(step, Ladder) else step.back


# Reports further apart than this count as this long (a gap in reports is not evidence).
MAX_REPORT_GAP_S = 1.0


class ConditionWatch:
    """Accumulates how long a bad line verdict has lasted; a clearly heard report resets it."""

    def __init__(self, verdict: str) -> None:
        self.verdict = verdict
        self.accumulated_s = 0.0
        self.last_t: float | None = None

    def update(self, ev: e.LineReport) -> float:
        gap = 0.0 if self.last_t is None else min(max(ev.t - self.last_t, 0.0), MAX_REPORT_GAP_S)
        self.last_t = ev.t
        if ev.verdict == self.verdict:
            self.accumulated_s += gap
        elif ev.verdict == "ok":
            self.accumulated_s = 0.0
        return self.accumulated_s

    def reset(self) -> None:
        self.accumulated_s = 0.0
