"""Run a CallPolicy in virtual time: the session's side of the contract, without a session.

Actions are executed against a virtual clock (Play -> PromptFinished after the phrase's length
unless stopped, StartTimer -> TimerFired, OpenTicket -> TicketResult, Transfer -> TransferResult)
and merged with the caller's scripted events. Used by the tests (tests/fakes.py) and by
`ivr simulate`. Pure: no clock, no sleep, thousands of calls a second.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy.context import MAX_CALL as BOUND_TIMER
from ivr.policy.context import SAY_PROMPT_ID, TONE_ID
from ivr.policy.machine import CallPolicy

# Stop a run that has not ended after this much virtual time (a policy bug, reported).
DEFAULT_LIMIT_S = 4 * 3600.0


@dataclass(frozen=True)
class Entry:
    """One line of the call timeline: an event the policy heard or an action it took."""

    t: float
    item: e.Event | a.Action

    @property
    def is_action(self) -> bool:
        return isinstance(self.item, a.Action)

    def describe(self) -> str:
        return describe(self.item)


def describe(item: Any) -> str:
    """Short human form: the class name and the fields that say something."""
    name = type(item).__name__
    fields = {k: v for k, v in vars(item).items() if k != "t"}
    shown = []
    for key, value in fields.items():
        if value in (None, "", {}, ()) or (key == "settings"):
            continue
        if isinstance(value, float):
            value = round(value, 3)
        shown.append(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}")
    return f"{name}({', '.join(shown)})"


@dataclass
class VirtualCall:
    """Executes a policy's actions in virtual time against a scripted caller.

    `prompt_seconds(prompt_id or Say text)` gives each phrase's length. Tickets succeed after
    `ticket_delay_s` unless `ticket_ok` says otherwise; transfers answer after
    `transfer_delay_s` with `transfer_ok`.
    """

    policy: CallPolicy
    prompt_seconds: Callable[[str], float]
    answered: e.Answered = field(default_factory=lambda: e.Answered(t=0.0))
    ticket_ok: bool | Callable[[a.OpenTicket], bool] = True
    ticket_delay_s: float = 0.2
    transfer_ok: bool = True
    transfer_delay_s: float = 2.0
    limit_s: float = DEFAULT_LIMIT_S
    # Called after every step with the call itself: a scripted caller that answers the bot
    # (ivr/simulate_script.py) schedules its next turn from here.
    on_step: Callable[[VirtualCall], None] | None = None
    timeline: list[Entry] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    tickets: dict[str, a.OpenTicket] = field(default_factory=dict)
    updates: list[a.UpdateTicket] = field(default_factory=list)
    transfers: list[a.Transfer] = field(default_factory=list)
    hangup: a.Hangup | None = None
    end_t: float | None = None
    t: float = 0.0

    def __post_init__(self) -> None:
        self._queue: list[tuple[float, int, int, e.Event]] = []
        self._seq = itertools.count()
        self._playing: tuple[str, int] | None = None
        self._play_gen = 0
        self._timers: dict[str, int] = {}  # name -> generation of the running timer
        self._timer_gen = itertools.count(1)
        self._recording = False
        self._ticket_no = itertools.count(1)
        self._caller_speaking = False

    # Scheduling -------------------------------------------------------------------------------
    def _at(self, t: float, event: e.Event, priority: int = 1) -> None:
        heapq.heappush(self._queue, (round(t, 6), priority, next(self._seq), event))

    def schedule(self, events: Iterable[e.Event]) -> None:
        """Add caller events (each carries its own `t`)."""
        for ev in events:
            self._at(ev.t, ev)

    def wake_at(self, t: float) -> None:
        """Call `on_step` at `t` even if nothing else happens then (the policy hears nothing)."""
        self._at(t, _Wake(t=t), priority=2)

    @property
    def bot_quiet(self) -> bool:
        """No phrase is playing now."""
        return self._playing is None

    # Running ----------------------------------------------------------------------------------
    def run(self, script: Iterable[e.Event] = ()) -> VirtualCall:
        self._at(self.answered.t, self.answered, priority=0)
        self.schedule(script)
        while self._queue and not self.policy.ended:
            t, _prio, _seq, ev = heapq.heappop(self._queue)
            if t > self.limit_s:
                self.violations.append(f"no end within {self.limit_s} s")
                break
            if self._stale(ev):
                continue
            if isinstance(ev, _Wake):
                self.t = t
                if self.on_step is not None:
                    self.on_step(self)
                continue
            if isinstance(ev, _TimerDue):
                ev = e.TimerFired(t=ev.t, name=ev.name)
            elif isinstance(ev, _PromptDue):
                ev = e.PromptFinished(t=ev.t, prompt_id=ev.prompt_id)
            self.t = t
            self.timeline.append(Entry(t, ev))
            if isinstance(ev, e.SpeechStarted):
                self._caller_speaking = True
            elif isinstance(ev, e.SpeechEnded):
                self._caller_speaking = False
            for action in self.policy.handle(ev):
                self.timeline.append(Entry(t, action))
                self._execute(t, action)
            if self.on_step is not None and not self.policy.ended:
                self.on_step(self)
            self._check_alive(t)
        if self.policy.ended:
            self.end_t = self.t
            if self._timers:
                self.violations.append(f"timers left running after the end: {sorted(self._timers)}")
            if self._recording:
                self.violations.append("recording left running after the end")
        return self

    def _check_alive(self, t: float) -> None:
        """A live call always has something coming: a phrase ending, a timer other than the
        length bound, or the end of the caller's speech. Otherwise only max_call_s ends it."""
        if self.policy.ended or self._playing is not None or self._caller_speaking:
            return
        if set(self._timers) - {BOUND_TIMER}:
            return
        self.violations.append(f"{t:.3f}: stalled in step {self.policy.step_name!r}")

    def _stale(self, ev: e.Event) -> bool:
        if isinstance(ev, _TimerDue):
            if self._timers.get(ev.name) != ev.gen:
                return True
            del self._timers[ev.name]
            return False
        if isinstance(ev, _PromptDue):
            if self._playing is None or self._playing[1] != ev.gen:
                return True
            self._playing = None
            return False
        return False

    def _execute(self, t: float, action: a.Action) -> None:
        if self.hangup is not None:
            self.violations.append(f"{t:.3f}: {describe(action)} after the hang-up")
        if isinstance(action, (a.Play, a.Say, a.Tone)):
            if self._playing is not None:
                self.violations.append(f"{t:.3f}: two prompts at once ({self._playing[0]} playing)")
            if isinstance(action, a.Tone):
                prompt_id, length = TONE_ID, action.duration_ms / 1000.0
            else:
                key = action.prompt_id if isinstance(action, a.Play) else action.text
                prompt_id = action.prompt_id if isinstance(action, a.Play) else SAY_PROMPT_ID
                length = self.prompt_seconds(key)
            self._play_gen += 1
            self._playing = (prompt_id, self._play_gen)
            self._at(t + length, _PromptDue(t=t + length, prompt_id=prompt_id, gen=self._play_gen))
        elif isinstance(action, a.StopPlayback):
            if self._playing is not None:
                prompt_id, _gen = self._playing
                self._playing = None
                self._at(t, e.PromptFinished(t=t, prompt_id=prompt_id, interrupted=True))
        elif isinstance(action, a.StartTimer):
            if action.seconds < 0:
                self.violations.append(f"{t:.3f}: negative timer {action}")
            gen = next(self._timer_gen)
            self._timers[action.name] = gen
            due = t + action.seconds
            self._at(due, _TimerDue(t=due, name=action.name, gen=gen))
        elif isinstance(action, a.CancelTimer):
            self._timers.pop(action.name, None)
        elif isinstance(action, a.OpenTicket):
            self.tickets[action.request_id] = action
            ok = self.ticket_ok(action) if callable(self.ticket_ok) else self.ticket_ok
            number = next(self._ticket_no)
            ticket_id = f"T{number:05d}" if ok else ""
            due = t + self.ticket_delay_s
            self._at(due, e.TicketResult(t=due, ok=ok, ticket_id=ticket_id,
                                         request_id=action.request_id,
                                         reference=f"{20260000 + number:010d}" if ok else ""))
        elif isinstance(action, a.UpdateTicket):
            self.updates.append(action)
        elif isinstance(action, a.Transfer):
            self.transfers.append(action)
            due = t + self.transfer_delay_s
            self._at(due, e.TransferResult(t=due, ok=self.transfer_ok,
                                           code=200 if self.transfer_ok else 486))
        elif isinstance(action, a.StartRecording):
            self._recording = True
        elif isinstance(action, a.StopRecording):
            self._recording = False
        elif isinstance(action, a.Hangup):
            self.hangup = action

    # Reading the result -----------------------------------------------------------------------
    @property
    def reason(self) -> str | None:
        return self.hangup.reason if self.hangup else None

    def actions(self, kind: type | tuple[type, ...] = a.Action) -> list[tuple[float, Any]]:
        return [(x.t, x.item) for x in self.timeline if isinstance(x.item, kind)]

    def events(self, kind: type | tuple[type, ...] = e.Event) -> list[tuple[float, Any]]:
        return [(x.t, x.item) for x in self.timeline if isinstance(x.item, kind)]

    def plays(self) -> list[tuple[float, str]]:
        """(start time, prompt id) of every phrase started, in order ("say" for runtime text)."""
        return [
            (t, x.prompt_id if isinstance(x, a.Play) else SAY_PROMPT_ID)
            for t, x in self.actions((a.Play, a.Say))
        ]

    def finished(self) -> list[tuple[float, str]]:
        """(end time, prompt id) of every phrase that played to its end."""
        return [(t, x.prompt_id) for t, x in self.events(e.PromptFinished) if not x.interrupted]

    def format(self) -> str:
        return "\n".join(f"{x.t:9.3f}  {'->' if x.is_action else '<-'} {x.describe()}"
                         for x in self.timeline)


@dataclass(frozen=True)
class _Wake(e.Event):
    """A wake-up for `on_step` only; never reaches the policy or the timeline."""


# Internal wake-ups: they reach the policy as the real events they subclass.
@dataclass(frozen=True)
class _TimerDue(e.TimerFired):
    gen: int = 0


@dataclass(frozen=True)
class _PromptDue(e.PromptFinished):
    gen: int = 0
