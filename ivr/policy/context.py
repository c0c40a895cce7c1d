"""The state of one call as the policy sees it, and the only way rules produce actions.

Rules never build action lists themselves: they ask the context to play, time, record or end,
and the context keeps the invariants every call must hold (one prompt at a time, every timer
known so it can be cancelled, exactly one hang-up with a reason).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.config import Settings
from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy.flows import FlowName
from ivr.policy.listening import keyword_grammar
from ivr.vocabulary import EndReason, TicketCategory

# The session reports a finished runtime `Say` with this prompt id.
SAY_PROMPT_ID = "say"

# Timer names. A step's own timers are cancelled when the call moves to another step.
WAIT = "wait"  # waiting for the caller's answer; paused while the caller speaks
LADDER = "ladder"  # a line-condition ladder's pause; speech does not pause it
RECORD_END = "record_end"
RECORD_MAX = "record_max"
TICKET = "ticket"
TRANSFER = "transfer"
MAX_CALL = "max_call"
HANGUP = "hangup"
END_GUARD = "end_guard"
STEP_TIMERS = (WAIT, LADDER, RECORD_END, RECORD_MAX, TICKET, TRANSFER)

# If the final phrase's PromptFinished never arrives, hang up anyway after this long.
END_GUARD_S = 60.0


class Step:
    """What the call is waiting for now (an answer, a recording, a ticket...).

    Handlers default to "nothing to do"; a step overrides what it cares about.
    """

    name = "step"
    line_rules = True  # low-volume / noisy watches may take over during this step
    dialogue = True  # caller speech is an answer (unintelligible / abuse checks apply)
    waits_for_quiet = True  # on_idle only once the caller stops talking (answer timers)

    def enter(self, ctx: CallContext) -> None:
        """Say what this step says; called once when the call moves here."""

    def leave(self, ctx: CallContext) -> None:
        """Release what the step holds (a recording) when the call moves on."""

    def on_idle(self, ctx: CallContext) -> None:
        """Nothing is playing and the caller is quiet: arm the step's timer."""

    def on_speech_started(self, ctx: CallContext, ev: e.SpeechStarted) -> None:
        ctx.cancel_timer(WAIT)

    def on_speech(self, ctx: CallContext, ev: e.SpeechEnded) -> None:
        ctx.idle_check()

    def on_dtmf(self, ctx: CallContext, ev: e.Dtmf) -> None:
        ctx.idle_check()

    def on_line(self, ctx: CallContext, ev: e.LineReport) -> None:
        """A line report while this step runs (ladders use it to see the line recover)."""

    def on_timer(self, ctx: CallContext, name: str) -> None:
        """One of this step's timers fired."""

    def on_ticket(self, ctx: CallContext, ev: e.TicketResult) -> None:
        """A ticket this call opened was stored (or not)."""

    def on_transfer(self, ctx: CallContext, ev: e.TransferResult) -> None:
        """The transfer this call asked for succeeded or failed."""


@dataclass
class Utterance:
    """One queued or playing phrase."""

    prompt_id: str  # catalogue id, or SAY_PROMPT_ID for runtime text
    action: a.Play | a.Say
    barge_in: bool
    final: bool = False  # the standard phrase before a committed hang-up


@dataclass
class Ending:
    reason: EndReason
    pause_s: float
    before_hangup: Callable[[CallContext], None] | None = None
    final_done: bool = False


@dataclass
class CallContext:
    """Mutable state of one call. Every rule reads and changes the call through this object."""

    settings: Settings
    locale: str
    flows: Mapping[FlowName, Callable[..., None]] = field(default_factory=dict)
    t: float = 0.0
    out: list[a.Action] = field(default_factory=list)
    playing: Utterance | None = None
    queue: deque[Utterance] = field(default_factory=deque)
    timers: set[str] = field(default_factory=set)
    step: Step = field(default_factory=Step)
    answered: e.Answered | None = None
    heard: bool = False  # the caller has been heard (speech or a key) at least once
    speaking: bool = False
    business: bool = False  # the caller has stated a business intent
    recording: bool = False
    ending: Ending | None = None
    ended: bool = False
    end_reason: EndReason | None = None
    ticket_seq: int = 0
    tickets: dict[str, str] = field(default_factory=dict)  # request_id -> ticket_id
    last_request_id: str | None = None
    marks: list[tuple[float, str]] = field(default_factory=list)  # notable moments, for notes
    # The recogniser's grammar now (None: full vocabulary), as last told by a Listen action.
    listening: tuple[str, ...] | None = None
    angry_turns: int = 0
    pending_complaint: str | None = None  # recorded but not yet filed (filed even on hang-up)
    last_transcript: str = ""  # the caller's latest recognised words (kept in memory only)
    caller_surname: str | None = None  # seed 000 第十六条 2: "我是王先生" -> 王 / 先生
    caller_title: str | None = None
    asked: dict[str, int] = field(default_factory=dict)  # special request -> times asked
    contact_number: str | None = None  # confirmed callback number (memory only, never logged)

    @property
    def knows_name(self) -> bool:
        """Surname and title both known: the caller may be addressed as "王先生"."""
        return bool(self.caller_surname and self.caller_title)

    def count_ask(self, what: str) -> int:
        """Count one more request of kind `what` (a named colleague...); returns the total."""
        self.asked[what] = self.asked.get(what, 0) + 1
        return self.asked[what]

    # Output -----------------------------------------------------------------------------------
    def emit(self, action: a.Action) -> None:
        if isinstance(action, a.Listen):
            self.listening = tuple(action.grammar) if action.grammar else None
        self.out.append(action)

    def flush(self) -> list[a.Action]:
        out, self.out = self.out, []
        return out

    @property
    def prompts(self) -> Mapping[str, Any]:
        return self.settings.prompts[self.locale]

    # Speaking ---------------------------------------------------------------------------------
    def play(
        self,
        prompt_id: str,
        vars: Mapping[str, Any] | None = None,
        *,
        barge_in: bool | None = None,
        final: bool = False,
    ) -> None:
        """Queue a catalogue phrase; it starts now if nothing is playing."""
        prompt = self.prompts[prompt_id]
        allowed = prompt.barge_in and self.settings.dialogue.barge_in
        barge = allowed if barge_in is None else (barge_in and allowed)
        values = {k: v for k, v in self.caller_vars().items() if k in prompt.variables}
        values.update(vars or {})
        action = a.Play(prompt_id=prompt_id, vars=values, barge_in=barge)
        self._enqueue(Utterance(prompt_id, action, barge, final))

    def caller_vars(self) -> dict[str, str]:
        """{surname} and {title} for phrases that address the caller, once both are known."""
        if not self.knows_name:
            return {}
        return {"surname": self.caller_surname or "", "title": self.caller_title or ""}

    def say(self, text: str) -> None:
        """Queue runtime text (the read-back of what the caller said)."""
        barge = self.settings.dialogue.barge_in
        self._enqueue(Utterance(SAY_PROMPT_ID, a.Say(text=text, barge_in=barge), barge))

    def _enqueue(self, item: Utterance) -> None:
        self.queue.append(item)
        if self.playing is None:
            self._start_next()

    def _start_next(self) -> None:
        if self.queue:
            self.playing = self.queue.popleft()
            self.emit(self.playing.action)

    def interrupt(self) -> None:
        """Drop queued phrases and stop the one playing (barge-in, a rule taking over)."""
        self.queue.clear()
        if self.playing is not None:
            self.emit(a.StopPlayback())
            self.playing = None

    def clear_queue(self) -> None:
        """Drop queued phrases but let the one playing finish (a rule that waits its turn)."""
        self.queue.clear()

    def prompt_finished(self, ev: e.PromptFinished) -> None:
        current = self.playing
        if ev.interrupted or current is None or ev.prompt_id != current.prompt_id:
            return  # a stopped or stale phrase: we already moved on
        self.playing = None
        if current.final and self.ending is not None:
            self._final_phrase_done()
            return
        if self.queue:
            self._start_next()
        else:
            self.idle_check()

    def idle_check(self) -> None:
        """Hand the floor to the current step when nobody is talking."""
        if self.playing is not None or self.queue or self.ending is not None:
            return
        if not self.speaking or not self.step.waits_for_quiet:
            self.step.on_idle(self)

    # Timers -----------------------------------------------------------------------------------
    def start_timer(self, name: str, seconds: float) -> None:
        if name in self.timers:
            self.emit(a.CancelTimer(name=name))
        self.timers.add(name)
        self.emit(a.StartTimer(name=name, seconds=float(seconds)))

    def cancel_timer(self, name: str) -> None:
        if name in self.timers:
            self.timers.discard(name)
            self.emit(a.CancelTimer(name=name))

    def cancel_all_timers(self) -> None:
        for name in sorted(self.timers):
            self.emit(a.CancelTimer(name=name))
        self.timers.clear()

    # Steps ------------------------------------------------------------------------------------
    def goto(self, step: Step) -> None:
        """Move the call to `step`: the old step's timers stop, the new step speaks."""
        if self.ended or self.ending is not None:
            return
        self.step.leave(self)
        for name in STEP_TIMERS:
            self.cancel_timer(name)
        self.step = step
        self.listen_for(step)
        step.enter(self)  # a step with its own grammar (numbers) emits it here, after ours
        if self.step is step:
            self.idle_check()

    def listen_for(self, step: Step) -> None:
        """Recognition where it pays (issue 16): a dialogue step listens for the locale's
        keywords only (grammar mode: ~8x cheaper than full vocabulary, FACTS.md). Until the
        caller has first spoken (they may give their name: 000 第十六条 2) and in recordings
        (read back to the caller) recognition keeps full vocabulary. asr.live_grammar = "off"
        keeps full vocabulary everywhere."""
        if self.settings.asr.live_grammar == "off":
            return
        grammar: tuple[str, ...] | None = None
        if step.dialogue and self.heard and not getattr(step, "opening", False):
            grammar = keyword_grammar(self.settings, self.locale)
        if grammar != self.listening:
            self.emit(a.Listen(grammar=grammar))

    def start_flow(self, name: FlowName, **kwargs: Any) -> None:
        """Start a named flow (complaint, transfer, closing...) registered by the policy."""
        self.flows[name](self, **kwargs)

    # Recording --------------------------------------------------------------------------------
    def start_recording(self, purpose: str, max_s: float) -> None:
        self.recording = True
        self.emit(a.StartRecording(purpose=purpose, max_s=float(max_s)))

    def stop_recording(self) -> None:
        if self.recording:
            self.recording = False
            self.emit(a.StopRecording())

    # Tickets ----------------------------------------------------------------------------------
    def open_ticket(self, category: TicketCategory, **fields: Any) -> str:
        """Ask for a ticket; the answer comes back as TicketResult with the request id."""
        self.ticket_seq += 1
        request_id = f"{category}-{self.ticket_seq}"
        hours = self.promised_hours(category)
        if self.caller_surname:  # seed 000 第十六条 2 / 001 投诉 4: "记录下用户姓氏"
            fields.setdefault("caller_surname", self.caller_surname)
            fields.setdefault("caller_title", self.caller_title)
        self.emit(
            a.OpenTicket(request_id=request_id, category=category, promised_hours=hours, **fields)
        )
        self.last_request_id = request_id
        return request_id

    def promised_hours(self, category: TicketCategory) -> int:
        return self.settings.commitments[category].promised_hours

    # Ending -----------------------------------------------------------------------------------
    def end(
        self,
        reason: EndReason,
        prompt_id: str,
        pause_s: float = 0.0,
        *,
        vars: Mapping[str, Any] | None = None,
        after_current: bool = False,
        before_hangup: Callable[[CallContext], None] | None = None,
    ) -> None:
        """Say the standard phrase for `reason` (nobody can talk over it), wait, hang up."""
        if self.ended or self.ending is not None:
            return
        self.step.leave(self)
        self.step = Step()
        self.cancel_all_timers()
        self.stop_recording()
        if after_current:
            self.clear_queue()
        else:
            self.interrupt()
        self.ending = Ending(reason, pause_s, before_hangup)
        self.start_timer(END_GUARD, END_GUARD_S + pause_s)
        self.play(prompt_id, vars, barge_in=False, final=True)

    def _final_phrase_done(self) -> None:
        assert self.ending is not None
        self.ending.final_done = True
        if self.ending.pause_s > 0:
            self.start_timer(HANGUP, self.ending.pause_s)
        else:
            self.hangup(self.ending.reason)

    def hangup(self, reason: EndReason) -> None:
        """Hang up now: no timer, recording or phrase outlives the call."""
        if self.ended:
            return
        if self.ending is not None and self.ending.before_hangup is not None:
            self.ending.before_hangup(self)
        self.step.leave(self)
        self.cancel_all_timers()
        self.stop_recording()
        self.interrupt()
        self.emit(a.Hangup(reason=reason))
        self.ended = True
        self.end_reason = reason

    # Helpers ----------------------------------------------------------------------------------
    def mark(self, what: str) -> None:
        self.marks.append((round(self.t, 3), what))
