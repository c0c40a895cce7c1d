"""CallSession: the one place that wires a call.

Frames from the caller go through the line monitor and the speech segmenter; their verdicts and
segments (and the recogniser's transcripts) become policy events. The policy's actions are
carried out here: prompts to the player, timers, recordings, tickets, transfer, hang-up.

Threads: everything that touches the policy runs on the session's own thread, fed by one inbox
queue. The telephony side (media thread, SIP thread) and the workers (recogniser, synthesiser,
ticket store) only put items on the inbox, so the policy sees one ordered stream of events and
the media thread never waits.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ivr.config import Settings
from ivr.masking import mask_number
from ivr.media.monitor import LineThresholds
from ivr.media.translator import FrameTranslator
from ivr.policy import actions as act
from ivr.policy import events as ev
from ivr.policy import spoken_digits
from ivr.policy.machine import CallPolicy
from ivr.policy.rules import contact_number
from ivr.ports import (
    CallControl,
    Clock,
    Player,
    PromptSource,
    RecognizerFactory,
    TicketStore,
)
from ivr.session.call_record import call_record_draft
from ivr.session.effects import (
    queue_name,
    short_ticket_id,
    ticket_draft,
    transfer_headers,
    transfer_target,
)
from ivr.session.facts import CallFacts, CallOutcome
from ivr.session.inbox import (
    FrameIn,
    InboxMessage,
    LocalHangup,
    PcmReady,
    PolicyEventIn,
    PromptDone,
    RecognizerFailure,
    RecognizerResult,
    Reload,
    RemoteHangup,
    TicketAnswer,
)
from ivr.session.playback import Playback
from ivr.session.recording import CallRecorder
from ivr.session.redaction import describe
from ivr.session.render_pool import render_pool
from ivr.session.timing import FRAME_MS, FrameTiming, MonotonicClock
from ivr.tickets.sla import sla_calendar
from ivr.tickets.types import TicketDraft, TicketReceipt, reference_number
from ivr.vocabulary import EndReason

log = logging.getLogger(__name__)

ASR_RESULT_TIMEOUT_S = 3.0  # after this the segment reaches the policy without a transcript
IDLE_POLL_S = 0.5  # the loop wakes at least this often to check timers and the stop flag


class CallSession:
    """One answered call, from the first frame to the call record."""

    def __init__(
        self,
        settings: Settings,
        facts: CallFacts,
        *,
        control: CallControl,
        player: Player,
        prompts: PromptSource,
        recognizer_factory: RecognizerFactory | None = None,
        tickets: TicketStore | None = None,
        executor: Executor | None = None,
        recordings_dir: Path | None = None,
        clock: Clock | None = None,
        on_finished: Callable[[CallOutcome], None] | None = None,
        blacklist_check: Callable[[str], bool] | None = None,
    ) -> None:
        """`executor` runs every piece of background work of the call (phrase synthesis,
        ticket and call-record writes), never on the call thread; default: the process's
        shared pool. `clock` is the only source of time (default: monotonic)."""
        self.settings = settings
        self.facts = facts
        self.call_id = facts.call_id
        self._control = control
        self._tickets = tickets
        self._executor: Executor = executor or render_pool()
        self._clock = clock or MonotonicClock()
        self._on_finished = on_finished
        self._blacklist_check = blacklist_check
        self._inbox: queue.SimpleQueue[InboxMessage] = queue.SimpleQueue()
        # The register's SLA calendar: spoken promises and due times agree (issue 13 defect 4).
        self._policy = CallPolicy(settings, facts.locale, calendar=sla_calendar(settings))
        self._translator = FrameTranslator(
            LineThresholds.from_settings(settings), facts.rate_hz, FRAME_MS
        )
        self._recognizer = (
            recognizer_factory(facts.rate_hz, self._on_asr_result, self._on_asr_error)
            if recognizer_factory else None
        )
        self._t0 = self._clock.now()
        self._timers: dict[str, float] = {}
        self.frame_timing = FrameTiming()
        self._pending_speech: ev.SpeechEnded | None = None
        self._recorder = CallRecorder(
            facts.call_id, recordings_dir or settings.data_dir / "recordings", facts.rate_hz
        )
        self._ticket_requests: dict[str, str] = {}  # request id -> ticket id
        self._early_updates: dict[str, list[act.UpdateTicket]] = {}  # before the ticket id
        self.playback = Playback(
            facts.call_id,
            facts.locale,
            facts.rate_hz,
            player=player,
            prompts=prompts,
            executor=self._executor,
            post=self._inbox.put,
        )
        self._transfer_target: str | None = None
        self._end_reason: EndReason | None = None
        self._shutdown_requested = False
        self._done = threading.Event()
        self._dispatch_depth = 0  # nesting of _event (an action that reports an event)
        self._thread: threading.Thread | None = None
        self.timeline: list[tuple[float, str, str]] = []

    # ---- inbound, from any thread ----------------------------------------------------------

    def frame_in(self, pcm: bytes) -> None:
        self._inbox.put(FrameIn(pcm, time.perf_counter()))

    def dtmf_in(self, digit: str) -> None:
        self._inbox.put(PolicyEventIn(ev.Dtmf(t=0.0, digit=digit)))

    def prompt_done(self, tag: Any, completed: bool) -> None:
        self._inbox.put(PromptDone(tag, completed))

    def transfer_result(self, ok: bool, code: int) -> None:
        self._inbox.put(PolicyEventIn(ev.TransferResult(t=0.0, ok=ok, code=code)))

    def caller_hung_up(self) -> None:
        self._inbox.put(RemoteHangup())

    def line_ended(self, by_remote: bool, code: int = 0, reason: str = "") -> None:
        """The SIP call is gone. `by_remote`: the caller hung up. Otherwise our side ended it
        without the policy asking (a drain with no time left, a call the SIP layer lost): that
        is recorded as "shutdown" or "error", never as the caller's hang-up."""
        if by_remote:
            self.caller_hung_up()
        else:
            self._inbox.put(LocalHangup(code, reason))

    def request_shutdown(self) -> None:
        self._shutdown_requested = True
        self._inbox.put(PolicyEventIn(ev.ShutdownRequested(t=0.0)))

    def reload(self, settings: Settings) -> None:
        self._inbox.put(Reload(settings))

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    # ---- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"call-{self.call_id[:8]}", daemon=True
        )
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        if self._thread:
            self._thread.join(timeout)
        return self._done.is_set()

    def _run(self) -> None:
        try:
            self.begin()
            while not self._done.is_set():
                try:
                    item = self._inbox.get(timeout=self._wait_s())
                except queue.Empty:
                    item = None
                if item is not None:
                    self.handle(item)
                self.fire_due_timers()
        except Exception:
            log.exception("call %s: session failed; hanging up", self.call_id)
            self._end("error", hang_up=True)

    def begin(self) -> None:
        """Deliver `Answered`; public so tests can drive a session without its thread.

        The blacklist look-up happens here, on the session's thread, never on the SIP thread.
        """
        if self._blacklist_check is not None and self.facts.caller and not self.facts.blacklisted:
            if self._blacklist_check(self.facts.caller):
                self.facts = replace(self.facts, blacklisted=True)
        local_time = self.facts.answered_at
        try:
            from zoneinfo import ZoneInfo

            local_time = local_time.astimezone(ZoneInfo(self.settings.business.timezone))
        except Exception:  # an unknown zone was refused at config load; keep UTC otherwise
            log.debug("call %s: local time stays in UTC", self.call_id)
        log.info(
            "call %s from %s answered after %.1f s ring%s",
            self.call_id,
            mask_number(self.facts.caller),
            self.facts.ring_s,
            " (blacklisted)" if self.facts.blacklisted else "",
        )
        self._event(
            ev.Answered(
                t=self.t,
                ring_s=self.facts.ring_s,
                caller=mask_number(self.facts.caller),
                called=self.facts.called,
                local_time=local_time,
                blacklisted=self.facts.blacklisted,
            )
        )

    @property
    def t(self) -> float:
        return self._clock.now() - self._t0

    def snapshot(self) -> dict[str, Any]:
        """The call as the console's live-calls page shows it: masked number, no transcript.
        Read from another thread: every value is one attribute read, at worst a frame old."""
        status = self._translator.last_reported
        last = self.timeline[-1] if self.timeline else None

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        return {
            "call_id": self.call_id,
            "caller": mask_number(self.facts.caller),
            "duration_s": round(self.t, 1),
            "step": f"{last[1]} {last[2]}"[:160] if last else "",
            "playing": self.playback.now_playing,
            "verdict": status.verdict if status else "",
            "level_dbfs": rounded(status.level_dbfs) if status else None,
            "snr_db": rounded(status.snr_db) if status else None,
            "asr": "off" if self._recognizer is None
            else "speech" if self._translator.in_speech else "idle",
        }

    def _now_utc(self) -> dt.datetime:
        """Wall-clock time on the session's clock: the answer time plus the call's age."""
        return self.facts.answered_at + dt.timedelta(seconds=self.t)

    def _wait_s(self) -> float:
        if not self._timers:
            return IDLE_POLL_S
        return max(0.0, min(IDLE_POLL_S, min(self._timers.values()) - self._clock.now()))

    # ---- dispatch --------------------------------------------------------------------------

    def handle(self, message: InboxMessage) -> None:
        if self._done.is_set():
            return
        if isinstance(message, FrameIn):
            started = time.perf_counter()
            self._on_frame(message.pcm)
            if message.queued_at is not None:
                self.frame_timing.add(started - message.queued_at, time.perf_counter() - started)
        elif isinstance(message, PolicyEventIn):
            self._event(_with_time(message.event, self.t))
        elif isinstance(message, PromptDone):
            prompt_id = self.playback.finished(message.tag)
            if prompt_id is not None:
                self._event(
                    ev.PromptFinished(
                        t=self.t, prompt_id=prompt_id, interrupted=not message.completed
                    )
                )
        elif isinstance(message, PcmReady):
            self.playback.pcm_ready(message.tag, message.pcm)
        elif isinstance(message, RecognizerResult):
            self._deliver_speech(message.result)
        elif isinstance(message, RecognizerFailure):
            self._recognizer_failed(message.reason)
        elif isinstance(message, TicketAnswer):
            self._on_ticket(message.request_id, message.receipt, message.error)
        elif isinstance(message, RemoteHangup):
            log.info("call %s: caller hung up at t=%.2f", self.call_id, self.t)
            self._event(ev.CallerHungUp(t=self.t))
            self._end(self._end_reason or "caller_hangup", hang_up=False)
        elif isinstance(message, LocalHangup):
            reason: EndReason = "shutdown" if self._shutdown_requested else "error"
            log.info("call %s: ended on our side (%s %s) at t=%.2f: %s", self.call_id,
                     message.code, message.reason[:60], self.t, reason)
            self._end(self._end_reason or reason, hang_up=False)
        elif isinstance(message, Reload):
            self.settings = message.settings
            self._event(ev.ConfigUpdated(t=self.t, settings=message.settings))

    def fire_due_timers(self) -> None:
        now = self._clock.now()
        due = sorted((deadline, name) for name, deadline in self._timers.items() if deadline <= now)
        for _, name in due:
            self._timers.pop(name, None)
            if name == "_asr":
                self._deliver_speech(None)
            else:
                self._event(ev.TimerFired(t=self.t, name=name))

    def _event(self, event: ev.Event) -> None:
        if not isinstance(event, ev.LineReport):
            self._note("event", describe(event))
        # An action may report an event at once (StopRecording -> RecordingFinished): that
        # nested dispatch must not end the call before the outer actions ran (the unconfirmed
        # complaint's OpenTicket follows its StopRecording; issue 13 defect 5).
        self._dispatch_depth += 1
        try:
            for action in self._policy.handle(event):
                if self._done.is_set():
                    break
                self._act(action)
        finally:
            self._dispatch_depth -= 1
        if self._dispatch_depth == 0 and self._policy.ended and not self._done.is_set():
            self._end(self._policy.end_reason or "normal", hang_up=True)

    # ---- frames ----------------------------------------------------------------------------

    def _on_frame(self, pcm: bytes) -> None:
        frame = np.frombuffer(pcm, dtype=np.int16)
        n = self._translator.frame_len
        if len(frame) > n and len(frame) % n == 0:
            # A longer media-port frame (sip.port_frame_ms, e.g. 100 ms): the analysis still
            # counts 20 ms frames, so the line's timers and verdicts do not change; its numpy
            # work is done once for the block, and each 20 ms frame is then acted on in order.
            results = self._translator.push_block(frame)
            assert results is not None  # a whole number of frames
            for sub, (events, speech) in zip(frame.reshape(-1, n), results, strict=True):
                self._after_analysis(sub, events, speech)
        else:
            self._on_analysis_frame(frame)

    def _on_analysis_frame(self, frame: np.ndarray) -> None:
        events = self._translator.push(frame)
        if events is None:
            return  # a frame of another size (codec switch mid-call) is skipped, not fatal
        self._after_analysis(frame, events, None)

    def _after_analysis(
        self, frame: np.ndarray, events: list[ev.Event], speech: list[np.ndarray] | None
    ) -> None:
        """One analysed 20 ms frame: record it, hand its events to the policy, stream the
        talk segment to the recogniser (`speech`: the segment frames already taken after this
        frame on the block path; None: take them now)."""
        if self._recorder.push(frame):
            self._stop_recording()
        for event in events:
            if isinstance(event, ev.SpeechEnded):
                self._on_speech_end(event)
            else:
                self._event(_with_time(event, self.t))
        if self._recognizer is not None:
            if speech is None:
                speech = (
                    self._translator.take_segment_frames() if self._translator.in_speech else []
                )
            for chunk in speech:
                self._recognizer.feed(chunk.tobytes())

    def _on_speech_end(self, segment: ev.SpeechEnded) -> None:
        if self._recognizer is None:
            self._pending_speech = segment
            self._deliver_speech(None)
            return
        if self._pending_speech is not None:  # the previous segment's result never came
            self._deliver_speech(None)
        self._pending_speech = segment
        self._recognizer.end_segment()
        self._timers["_asr"] = self._clock.now() + ASR_RESULT_TIMEOUT_S

    def _on_asr_result(self, result: Any) -> None:
        """Recogniser callback (worker thread): final results only go to the policy."""
        if getattr(result, "partial", False):
            return
        self._inbox.put(RecognizerResult(result))

    def _on_asr_error(self, exc: BaseException) -> None:
        """Recogniser failure (worker or service thread): the policy decides what follows."""
        self._inbox.put(RecognizerFailure(type(exc).__name__))

    def _recognizer_failed(self, reason: str) -> None:
        recognizer, self._recognizer = self._recognizer, None
        if recognizer is None:
            return  # reported once
        log.warning("call %s: speech recognition lost (%s); DTMF menu from now on",
                    self.call_id, reason)
        try:
            recognizer.close()
        except Exception:
            log.exception("call %s: recogniser close failed", self.call_id)
        # A segment waiting for its transcript is dropped: the notice and the menu answer it.
        self._pending_speech = None
        self._timers.pop("_asr", None)
        self._event(ev.RecognizerFailed(t=self.t, cause=reason))

    def _deliver_speech(self, result: Any) -> None:
        seg = self._pending_speech
        if seg is None:
            return
        self._pending_speech = None
        self._timers.pop("_asr", None)
        transcript = getattr(result, "transcript", "") if result is not None else ""
        confidence = getattr(result, "confidence", None) if result is not None else None
        in_vocabulary = bool(getattr(result, "in_vocabulary", True)) if result else True
        if self._recognizer is not None and result is None:
            log.warning(
                "call %s: no recogniser result for a %.1f s segment", self.call_id, seg.duration_s
            )
        self._event(
            replace(
                seg,
                t=self.t,
                transcript=transcript,
                confidence=confidence,
                in_vocabulary=in_vocabulary,
            )
        )

    # ---- actions ---------------------------------------------------------------------------

    def _act(self, action: act.Action) -> None:
        if not isinstance(action, (act.StartTimer, act.CancelTimer)):
            self._note("action", describe(action))
        if isinstance(action, act.Play):
            self.playback.play(self._calling_number_filled(action))
        elif isinstance(action, act.Say):
            self.playback.say(action.text)
        elif isinstance(action, act.Tone):
            self.playback.tone(action)
        elif isinstance(action, act.PlaybackGain):
            self.playback.set_gain_db(action.gain_db)
        elif isinstance(action, act.StopPlayback):
            self.playback.stop()
        elif isinstance(action, act.StartTimer):
            self._timers[action.name] = self._clock.now() + action.seconds
        elif isinstance(action, act.CancelTimer):
            self._timers.pop(action.name, None)
        elif isinstance(action, act.Listen):
            if self._recognizer is not None:
                self._recognizer.set_grammar(list(action.grammar) if action.grammar else None)
        elif isinstance(action, act.StartRecording):
            self._recorder.start(action.purpose, action.max_s)
        elif isinstance(action, act.StopRecording):
            self._stop_recording()
        elif isinstance(action, act.OpenTicket):
            self._open_ticket(action)
        elif isinstance(action, act.UpdateTicket):
            self._update_ticket(action)
        elif isinstance(action, act.Transfer):
            self._transfer(action)
        elif isinstance(action, act.Hangup):
            self._end(action.reason, hang_up=True)
        else:
            log.warning("call %s: no handler for action %r", self.call_id, action)

    def _stop_recording(self) -> None:
        written = self._recorder.stop()
        if written is not None:
            path_text, duration = written
            self._event(ev.RecordingFinished(t=self.t, path=path_text, duration_s=duration))

    def _ticket_draft(self, action: act.OpenTicket) -> TicketDraft:
        return ticket_draft(
            action,
            self.facts,
            opened_at=self._now_utc(),
            line=self._translator.last_reported,
            recording_paths=self._recorder.paths,
        )

    def _open_ticket(self, action: act.OpenTicket) -> None:
        if self._tickets is None:
            self._inbox.put(TicketAnswer(action.request_id, None, "no ticket store"))
            return
        draft = self._ticket_draft(action)

        def job() -> None:
            try:
                receipt = self._tickets.open_ticket(draft)  # type: ignore[union-attr]
            except Exception as exc:  # every failure becomes TicketResult(ok=False)
                log.exception("call %s: ticket not opened", self.call_id)
                self._inbox.put(TicketAnswer(action.request_id, None, str(exc)))
            else:
                self._inbox.put(TicketAnswer(action.request_id, receipt))

        self._executor.submit(job)

    def _on_ticket(self, request_id: str, receipt: TicketReceipt | None, error: str) -> None:
        if receipt is None:
            self._event(ev.TicketResult(t=self.t, ok=False, request_id=request_id))
            return
        self._ticket_requests[request_id] = receipt.ticket_id
        for update in self._early_updates.pop(request_id, []):
            self._update_ticket(update)
        log.info(
            "call %s: ticket %s%s",
            self.call_id,
            receipt.short_id,
            " (journaled: database unavailable)" if receipt.journaled else "",
        )
        self._event(
            ev.TicketResult(
                t=self.t,
                ok=True,
                ticket_id=receipt.short_id,
                request_id=request_id,
                journaled=receipt.journaled,
                reference=reference_number(receipt.ticket_id),
            )
        )

    def _calling_number_filled(self, action: act.Play) -> act.Play:
        """The policy sees the caller masked; a read-back of the calling number is filled here
        (to the caller's ear only: the phrase's variables are never logged)."""
        if action.vars.get("number") != contact_number.CALLING_NUMBER:
            return action
        digits = "".join(ch for ch in self.facts.caller if ch.isdigit())
        spoken = spoken_digits.speak(digits, self.facts.locale) if digits else ""
        return replace(action, vars={**action.vars, "number": spoken})

    def _update_ticket(self, action: act.UpdateTicket) -> None:
        ticket_id = self._ticket_requests.get(action.request_id)
        if self._tickets is not None and ticket_id is None and "contact_number" in action.fields:
            # The number came before the ticket's id: apply it when the id arrives.
            self._early_updates.setdefault(action.request_id, []).append(action)
            return
        number = action.fields.get("contact_number")
        if number == contact_number.CALLING_NUMBER:
            number = "".join(ch for ch in self.facts.caller if ch.isdigit())
        if self._tickets is not None and ticket_id is not None and number:
            self._store_contact_number(ticket_id, str(number))
        score = action.fields.get("satisfaction")
        if self._tickets is None or ticket_id is None or score is None:
            return
        tickets = self._tickets

        def job() -> None:
            try:
                tickets.set_satisfaction(ticket_id, int(score))
            except Exception:
                log.exception("call %s: satisfaction not stored", self.call_id)

        self._executor.submit(job)

    def _store_contact_number(self, ticket_id: str, number: str) -> None:
        """Attach the confirmed callback number (encrypted by the store; never logged)."""
        tickets = self._tickets
        assert tickets is not None

        def job() -> None:
            try:
                tickets.set_contact_number(ticket_id, number)
            except Exception as exc:  # any store failure: say which call, never the number
                log.error("call %s: contact number not stored (%s)", self.call_id,
                          type(exc).__name__)

        self._executor.submit(job)

    def _transfer(self, action: act.Transfer) -> None:
        target = transfer_target(action, self.settings.transfer)
        ticket_id = str(action.context.get("ticket_id", "") or "")
        headers = transfer_headers(ticket_id)
        self._transfer_target = target
        log.info("call %s: transferring to %s (ticket %s)", self.call_id, target, ticket_id or "-")
        try:
            self._control.transfer(target, headers)
        except Exception as exc:
            log.error("call %s: transfer failed to start: %s", self.call_id, exc)
            self._inbox.put(PolicyEventIn(ev.TransferResult(t=0.0, ok=False, code=500)))
            return
        self._announce_transfer(ticket_id, queue_name(action, self.settings.transfer), target)

    def _announce_transfer(self, ticket_id: str, queue: str, target: str) -> None:
        """Screen pop: the web console's agents of `queue` see the ticket open (ivr.console)."""
        publish = getattr(self._tickets, "publish_event", None)
        if not ticket_id or publish is None:
            return

        def job() -> None:
            try:
                publish("transfer", ticket_ref=ticket_id, queue=queue, target=target)
            except Exception:
                log.exception("call %s: screen pop not published", self.call_id)

        self._executor.submit(job)

    # ---- the end ---------------------------------------------------------------------------

    def _end(self, reason: EndReason, *, hang_up: bool) -> None:
        if self._done.is_set():
            return
        self._end_reason = reason
        self._done.set()
        if self._recorder.active:
            self._recorder.stop_quietly()
        if hang_up:
            try:
                self._control.hangup()
            except Exception as exc:
                log.error("call %s: hang-up failed: %s", self.call_id, exc)
        if self._recognizer is not None:
            try:
                self._recognizer.close()
            except Exception:
                log.exception("call %s: recogniser close failed", self.call_id)
        outcome = CallOutcome(
            call_id=self.call_id,
            caller_masked=mask_number(self.facts.caller),
            end_reason=reason,
            duration_s=self.t,
            ticket_ids=[short_ticket_id(t) for t in self._ticket_requests.values()],
            transfer_target=self._transfer_target,
            prompts_played=list(self.playback.played),
            timeline=list(self.timeline),
            answered_at=self.facts.answered_at,
            sip_call_id=self.facts.sip_call_id,
            worker_id=self.facts.worker_id,
            ticket_refs=list(self._ticket_requests.values()),
            recording_paths=list(self._recorder.paths),
        )
        log.info(
            "call %s from %s ended after %.1f s: %s%s",
            self.call_id,
            mask_number(self.facts.caller),
            outcome.duration_s,
            reason,
            f", tickets {' '.join(outcome.ticket_ids)}" if outcome.ticket_ids else "",
        )
        log.info("call %s frame timing: %s", self.call_id, self.frame_timing.summary())
        self._record_call(outcome)
        if self._on_finished is not None:
            try:
                self._on_finished(outcome)
            except Exception:
                log.exception("call %s: on_finished callback failed", self.call_id)

    def _record_call(self, outcome: CallOutcome) -> None:
        # The recordings' live marker goes only once the call record is stored (or journaled):
        # until then a recording without a ticket is not an orphan.
        recorder = self._recorder
        if self._tickets is None:
            recorder.close()
            return
        record = call_record_draft(
            self.facts,
            outcome,
            self._translator.verdict_frames,
            tuple(self._ticket_requests.values()),
        )
        tickets = self._tickets

        def job() -> None:
            try:
                tickets.record_call(record)
            except Exception:
                log.exception("call %s: call record not stored", self.call_id)
            finally:
                recorder.close()

        self._executor.submit(job)

    def _note(self, kind: str, text: str) -> None:
        t = self.t
        self.timeline.append((t, kind, text))
        log.info("call %s t=%.2f %s %s", self.call_id, t, kind, text)


def _with_time(event: ev.Event, t: float) -> ev.Event:
    return replace(event, t=t)
