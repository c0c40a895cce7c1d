"""CallPolicy: one per call; events in, actions out, time only from the events.

The machine routes each event: call-wide rules first (end of call, length bound, barge-in,
line-condition watches, abuse and unintelligible speech), then the current step of the flow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ivr.config import Settings
from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy.context import END_GUARD, HANGUP, MAX_CALL, CallContext
from ivr.policy.flows import FLOW_NAMES, FlowName
from ivr.policy.ladder import ConditionWatch, Ladder
from ivr.policy.rules import (
    angry,
    barge_in,
    call_end,
    caller_name,
    closing,
    complaint,
    greeting,
    harassment,
    inquiry,
    low_volume,
    named_colleague,
    noisy_line,
    out_of_scope,
    person,
    personal_info,
    silent_call,
    suggestion,
    survey,
    unintelligible,
    wrong_number,
)
from ivr.policy.rules.intent import IntentStep, is_abuse
from ivr.text import tidy
from ivr.vocabulary import EndReason

ASR_UNAVAILABLE_PROMPT = "asr_unavailable"  # "speech is not understood now: use the keypad"

log = logging.getLogger(__name__)

# The phrases the machine plays itself (the rules declare theirs): seed 001 特殊沟通内容 10.
PROMPTS = frozenset({"thanks_reply", ASR_UNAVAILABLE_PROMPT})


def _thanks(ctx: CallContext) -> None:
    """Seed 001 特殊沟通内容 10: a caller's thanks always gets the standard reply."""
    ctx.play("thanks_reply")
    closing.start(ctx)


def _goodbye(ctx: CallContext) -> None:
    closing.finish(ctx)


FLOWS: dict[FlowName, Callable[..., None]] = {
    "complaint": complaint.start,
    "inquiry": inquiry.start,
    "suggestion": suggestion.start,
    "person": person.start,
    "thanks": _thanks,
    "goodbye": _goodbye,
    "closing": closing.start,
    "survey": survey.start,
    "harassment": harassment.start,
    "wrong_number": wrong_number.start,
    "named_colleague": named_colleague.start,
    "personal_info": personal_info.start,
    "out_of_scope": out_of_scope.start,
}

_unregistered = set(FLOW_NAMES) ^ set(FLOWS)
if _unregistered:  # pragma: no cover - a programming error, caught by any policy test
    raise RuntimeError(f"flow names and the FLOWS registry differ: {sorted(_unregistered)}")

class CallPolicy:
    """The hotline's service standard for one call. See DESIGN.md "The policy contract"."""

    def __init__(self, settings: Settings, locale: str | None = None) -> None:
        locale = locale or settings.service.default_locale
        if locale not in settings.prompts:
            raise ValueError(
                f"locale {locale!r} has no prompt catalogue (have: {sorted(settings.prompts)})"
            )
        self.ctx = CallContext(settings=settings, locale=locale, flows=FLOWS)
        self.low = ConditionWatch(low_volume.VERDICT)
        self.noisy = ConditionWatch(noisy_line.VERDICT)
        self.line_clear = True
        # Barge-in waits for the line monitor to say the speech is clear (verdict ok): noise
        # or a caller too quiet to understand must not cut the phrase that tells them so.
        self.barge_pending = False
        self._routes: dict[type, Callable[[Any], None]] = {
            e.Answered: self._answered,
            e.LineReport: self._line,
            e.SpeechStarted: self._speech_started,
            e.SpeechEnded: self._speech_ended,
            e.Dtmf: self._dtmf,
            e.PromptFinished: self.ctx.prompt_finished,
            e.TimerFired: self._timer,
            e.TransferResult: lambda ev: self.ctx.step.on_transfer(self.ctx, ev),
            e.TicketResult: self._ticket,
            e.RecordingFinished: lambda ev: None,
            e.CallerHungUp: lambda ev: call_end.caller_hung_up(self.ctx),
            e.ConfigUpdated: self._config,
            e.ShutdownRequested: lambda ev: call_end.shutdown(self.ctx),
            e.RecognizerFailed: self._recognizer_failed,
        }

    # Public -----------------------------------------------------------------------------------
    @property
    def ended(self) -> bool:
        return self.ctx.ended

    @property
    def end_reason(self) -> EndReason | None:
        return self.ctx.end_reason

    @property
    def step_name(self) -> str:
        return self.ctx.step.name

    def handle(self, event: e.Event) -> list[a.Action]:
        ctx = self.ctx
        if ctx.ended:
            return []
        ctx.t = event.t
        if ctx.answered is None and not isinstance(event, (e.Answered, e.CallerHungUp)):
            return []  # nothing happens before the answer
        route = self._routes.get(type(event))
        if route is None:
            log.warning("policy: unknown event %s ignored", type(event).__name__)
            return []
        route(event)
        return ctx.flush()

    # Routes -----------------------------------------------------------------------------------
    def _answered(self, ev: e.Answered) -> None:
        ctx = self.ctx
        if ctx.answered is not None:
            return
        ctx.answered = ev
        ctx.start_timer(MAX_CALL, ctx.settings.dialogue.max_call_s)
        treatment = ctx.settings.harassment.blacklist_treatment
        if ev.blacklisted and treatment == "reject":
            ctx.end("blacklisted", "harassment_final", 0.0)
        elif ev.blacklisted and treatment == "harassment_flow":
            ctx.mark("blacklisted caller")
            harassment.start(ctx, blacklisted=True)
        else:
            ctx.goto(silent_call.AfterGreeting(prompts=greeting.opening_prompts(ctx.settings, ev)))

    def _line(self, ev: e.LineReport) -> None:
        ctx = self.ctx
        self.line_clear = ev.verdict != "noisy"
        if ctx.ending is not None:
            return
        if self.barge_pending and ev.speech and ev.verdict == "ok":
            self.barge_pending = False
            barge_in.on_caller_activity(ctx)
        ctx.step.on_line(ctx, ev)
        low_s = self.low.update(ev)
        noisy_s = self.noisy.update(ev)
        step = ctx.step
        if not step.line_rules or (isinstance(step, Ladder) and not step.preemptible):
            return  # one ladder at a time; recordings and transfers are not interrupted
        if noisy_s >= ctx.settings.noisy_line.min_noisy_s:
            self.noisy.reset()
            self.low.reset()
            noisy_line.start(ctx)
        elif low_s >= ctx.settings.low_volume.min_low_speech_s:
            self.low.reset()
            low_volume.start(ctx, reverberant=ev.reverberant)

    def _speech_started(self, ev: e.SpeechStarted) -> None:
        ctx = self.ctx
        ctx.heard = True
        ctx.speaking = True
        if ctx.ending is not None:
            return
        self.barge_pending = True
        ctx.step.on_speech_started(ctx, ev)

    def _speech_ended(self, ev: e.SpeechEnded) -> None:
        ctx = self.ctx
        # Every rule (and every ticket's text) sees the written form: "我 要 投诉" -> "我要投诉".
        ev = replace(ev, transcript=tidy(ev.transcript))
        ctx.heard = True
        ctx.speaking = False
        self.barge_pending = False
        if ctx.ending is not None:
            return
        if ev.transcript:
            ctx.last_transcript = ev.transcript
            caller_name.remember(ctx, ev.transcript)
        step = ctx.step
        if step.dialogue and not isinstance(step, Ladder):
            keywords = ctx.settings.keywords(ctx.locale)
            if ev.transcript and is_abuse(ev.transcript, keywords):
                if ctx.business:
                    angry.on_abuse(ctx)
                else:
                    harassment.start(ctx)
                return
            if unintelligible.is_unintelligible(ctx.settings, ev, self.line_clear):
                unintelligible.start(ctx)
                return
        step.on_speech(ctx, ev)

    def _dtmf(self, ev: e.Dtmf) -> None:
        ctx = self.ctx
        ctx.heard = True
        if ctx.ending is not None:
            return
        barge_in.on_caller_activity(ctx)
        ctx.step.on_dtmf(ctx, ev)

    def _timer(self, ev: e.TimerFired) -> None:
        ctx = self.ctx
        if ev.name not in ctx.timers:
            return  # cancelled or restarted meanwhile
        ctx.timers.discard(ev.name)
        if ev.name == MAX_CALL:
            call_end.max_duration(ctx)
        elif ev.name in (HANGUP, END_GUARD) and ctx.ending is not None:
            ctx.hangup(ctx.ending.reason)
        else:
            ctx.step.on_timer(ctx, ev.name)

    def _ticket(self, ev: e.TicketResult) -> None:
        ctx = self.ctx
        if ev.ok and ev.ticket_id and ev.request_id:
            ctx.tickets[ev.request_id] = ev.ticket_id
        if ctx.ending is None:
            ctx.step.on_ticket(ctx, ev)

    def _recognizer_failed(self, ev: e.RecognizerFailed) -> None:
        """No recogniser any more: say so and offer the keypad menu when the caller is being
        asked what they want; other steps (a recording, a transfer, a ladder) go on and take
        digits as they already do without a recogniser."""
        ctx = self.ctx
        ctx.mark("speech recognition lost: DTMF menu")
        step = ctx.step
        if ctx.ending is None and isinstance(step, IntentStep):
            ctx.clear_queue()  # the phrase playing ends; the notice and the menu follow it
            ctx.goto(IntentStep(prompts=(ASR_UNAVAILABLE_PROMPT, "menu"), misses=step.misses,
                                talk_misses=step.talk_misses))

    def _config(self, ev: e.ConfigUpdated) -> None:
        if isinstance(ev.settings, Settings) and self.ctx.locale in ev.settings.prompts:
            self.ctx.settings = ev.settings
        else:
            log.warning("policy: ConfigUpdated without usable settings ignored")
