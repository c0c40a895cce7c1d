"""The answering agent: one SIP engine, the shared speech and ticket services, a session per call.

`ivr serve` runs one Agent (one pjsua2 endpoint, at most 4 calls: the wheel's compile-time
limit). Start-up order matters for callers: tickets (so no complaint is lost), prompts (so the
first greeting starts at once), the recogniser model, and only then the SIP transports.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivr.config import Settings
from ivr.masking import mask_number, mask_url
from ivr.ops import metrics
from ivr.session import CallFacts, CallOutcome, CallSession
from ivr.sip.call import AgentCall
from ivr.sip.config import SipConfig
from ivr.sip.engine import SipEngine
from ivr.sip.types import Accept, CallListener, IncomingCallInfo, Reject

if TYPE_CHECKING:  # heavy imports (vosk, SQLAlchemy) happen in build_services, at start-up
    from ivr.media.asr_backends import RecognizerBackend
    from ivr.media.prompt_library import PromptLibrary
    from ivr.tickets.diskspace import DiskGuard
    from ivr.tickets.service import TicketService

log = logging.getLogger(__name__)

QUEUE_WAIT_HEADER = "x-queue-wait"  # seconds the caller waited in a PBX queue before us
TICKET_WORKERS_COUNT = 2
COMPLAINT_RECORDING_MARK = "-complaint-"  # session recordings are <call>-<purpose>-<n>.wav


def sip_config_from(settings: Settings, *, bind: str | None = None, port: int | None = None,
                    media_address: str | None = None, public_address: str | None = None,
                    ) -> SipConfig:
    """config/ivr.toml [sip], with --bind / --sip-port / --media-address / --public-address
    winning."""
    overrides: dict[str, Any] = {}
    if bind:
        overrides["bind_address"] = bind
    if port is not None:
        overrides["port"] = port
    if media_address:
        overrides["media_address"] = media_address
    if public_address:
        overrides["public_address"] = public_address
    return SipConfig.from_section(settings.sip, **overrides)


class StartupError(Exception):
    """Storage the agent cannot use (a read-only data folder, a mistyped database URL): one
    line for the operator, exit status 2, no traceback."""


@dataclass
class AgentServices:
    """What every call shares; built once at start-up."""

    prompts: PromptLibrary
    # In-process pool or the host's recogniser service client; None without a model: the
    # DTMF menu only.
    recognizer_pool: RecognizerBackend | None
    tickets: TicketService | None
    disk: DiskGuard | None = None  # refuses calls before a full disk could lose a ticket


class _CallControl:
    def __init__(self, call: AgentCall) -> None:
        self._call = call

    def hangup(self, code: int = 200) -> None:
        self._call.hangup()

    def transfer(self, target_uri: str, headers: dict[str, str]) -> None:
        self._call.transfer(target_uri, headers)


class _Bridge(CallListener):
    """SIP call events -> the call's session (all non-blocking: they only queue)."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.session: CallSession | None = None

    def on_media_ready(self, call: AgentCall) -> None:
        if self.session is None:
            self.session = self.agent._start_session(call)

    def on_frame(self, call: AgentCall, pcm: bytes, t_frames: int) -> None:
        if self.session is not None:
            self.session.frame_in(pcm)

    def on_dtmf(self, call: AgentCall, digit: str) -> None:
        if self.session is not None:
            self.session.dtmf_in(digit)

    def on_transfer_result(self, call: AgentCall, ok: bool, code: int) -> None:
        if self.session is not None:
            self.session.transfer_result(ok, code)

    def on_disconnected(self, call: AgentCall, code: int, reason: str, by_remote: bool) -> None:
        if self.session is not None:
            self.session.line_ended(by_remote, code, reason)


class Agent:
    """Answers calls on one SIP endpoint and runs a CallSession for each."""

    def __init__(
        self,
        settings: Settings,
        services: AgentServices,
        *,
        bind: str | None = None,
        port: int | None = None,
        media_address: str | None = None,
        public_address: str | None = None,
        worker_id: int = 0,
        on_call_finished: Callable[[CallOutcome], None] | None = None,
    ) -> None:
        self.settings = settings
        self.services = services
        self.sip_config = sip_config_from(settings, bind=bind, port=port,
                                          media_address=media_address,
                                          public_address=public_address)
        self.engine = SipEngine(self.sip_config, hooks=self)
        self._on_call_finished = on_call_finished
        self.worker_id = worker_id
        self._sessions: dict[str, CallSession] = {}
        self._sip_calls: dict[str, AgentCall] = {}
        self._lock = threading.Lock()
        self._ticket_pool = ThreadPoolExecutor(TICKET_WORKERS_COUNT, thread_name_prefix="tickets")
        self.calls_finished = 0
        self._draining = False
        self._disk_reason = ""
        self._stop_watch = threading.Event()
        self._disk_watch: threading.Thread | None = None

    # ---- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        self.engine.start()
        if self.services.disk is not None:
            self._check_disk()  # before the first call: a full disk refuses it at once
            self._disk_watch = threading.Thread(
                target=self._watch_disk, name="disk-guard", daemon=True
            )
            self._disk_watch.start()
        log.info(
            "listening on %s (%s), at most %d calls in this process",
            self.engine.local_uri,
            ", ".join(f"{k}:{v}" for k, v in self.engine.ports.items()),
            self.engine.max_calls,
        )

    def _watch_disk(self) -> None:
        guard = self.services.disk
        assert guard is not None
        while not self._stop_watch.wait(guard.check_interval_s):
            try:
                self._check_disk()
            except Exception:  # a background thread must log, never die silently
                log.exception("disk guard: unexpected error")

    def _check_disk(self) -> None:
        guard = self.services.disk
        if guard is None:
            return
        report = guard.check()
        with self._lock:
            self._disk_reason = "" if report.ok else f"disk: {report.reason}"
        self._apply_accepting()

    def _apply_accepting(self) -> None:
        with self._lock:
            accepting = not self._draining and not self._disk_reason
        if accepting != self.engine.accepting:
            self.engine.set_accepting(accepting)

    @property
    def draining(self) -> bool:
        """True once drain() began (SIGTERM): new calls get 503 on purpose."""
        with self._lock:
            return self._draining

    @property
    def disk_problem(self) -> str:
        """Why calls are refused for lack of disk space ("" when there is room)."""
        with self._lock:
            return self._disk_reason

    def health(self) -> tuple[int, dict[str, Any]]:
        """GET /health: 200 when every named check passes (ivr.ops.health.agent_checks:
        sip, disk, tickets_db, journal); 503 naming the failing ones, and ``reason`` when
        calls are refused for a fault (a disk too full to keep a ticket)."""
        from ivr.ops.health import agent_health

        return agent_health(self)

    @property
    def active_sessions(self) -> list[CallSession]:
        with self._lock:
            return [s for s in self._sessions.values() if not s.finished]

    def drain(self, timeout_s: float) -> int:
        """Refuse new calls (503), end the calls in progress politely; returns calls cut."""
        with self._lock:
            self._draining = True
        self._apply_accepting()
        sessions = self.active_sessions
        for session in sessions:
            session.request_shutdown()
        deadline = threading.Event()
        remaining = sessions
        waited = 0.0
        while remaining and waited < timeout_s:
            deadline.wait(0.1)
            waited += 0.1
            remaining = [s for s in remaining if not s.finished]
        for call in self.engine.active_calls:
            call.hangup()
        return len(remaining)

    def stop(self) -> None:
        self._stop_watch.set()
        if self._disk_watch is not None:
            self._disk_watch.join(timeout=5)
        self.engine.stop()
        self._ticket_pool.shutdown(wait=True)

    def reload(self, settings: Settings) -> None:
        self.settings = settings
        for session in self.active_sessions:
            session.reload(settings)

    # ---- engine hooks (SIP engine thread: never block) ---------------------------------------

    def on_incoming(self, info: IncomingCallInfo) -> Accept | Reject:
        # SIP engine thread: nothing here may wait for the database. A caller to be screened
        # hears ringing (180) while a worker looks the number up and answers or declines.
        return Accept(auto_answer=not self._screens_before_answer)

    @property
    def _screens_before_answer(self) -> bool:
        return (
            self.services.tickets is not None
            and self.settings.harassment.blacklist_treatment == "reject"
        )

    def on_new_call(self, call: AgentCall) -> None:
        call.listener = _Bridge(self)
        if self._screens_before_answer:
            self._ticket_pool.submit(self._screen, call)

    def _screen(self, call: AgentCall) -> None:
        caller = call.info.remote_user if call.info else ""
        if self._is_blacklisted(caller):
            log.info("declining blacklisted caller %s", mask_number(caller))
            call.answer(603, "Decline")
            metrics.count_rejected(603)
        else:
            call.answer(200)

    def _is_blacklisted(self, caller: str) -> bool:
        tickets = self.services.tickets
        if tickets is None or not caller or self.settings.harassment.blacklist_treatment == "none":
            return False
        try:
            return bool(tickets.is_blacklisted(caller))
        except Exception:  # a database problem must never keep a caller out
            log.exception("blacklist look-up failed; taking the call")
            return False

    def on_rejected(self, code: int, reason: str) -> None:
        """SIP engine thread: an INVITE refused before any session (486, 503, ...)."""
        metrics.count_rejected(code)
        log.info("refused a call with %d %s", code, reason)

    def on_registration(self, ok: bool, code: int, reason: str) -> None:
        if not ok:
            log.warning("registration failed: %d %s", code, reason)

    # ---- sessions --------------------------------------------------------------------------

    def _start_session(self, call: AgentCall) -> CallSession:
        info = call.info
        caller = info.remote_user if info else ""
        facts = CallFacts(
            call_id=uuid.uuid4().hex,
            caller=caller,
            called=info.local_uri if info else "",
            ring_s=_queue_wait_s(info),
            answered_at=dt.datetime.now(dt.timezone.utc),
            locale=self.settings.service.default_locale,
            rate_hz=self.sip_config.clock_rate_hz,
            sip_call_id=info.sip_call_id if info else "",
            worker_id=self.worker_id,
        )
        pool = self.services.recognizer_pool
        factory = None
        if pool is not None:

            def factory(rate_hz: int, on_result: Callable[[Any], None],
                        on_error: Callable[[BaseException], None]) -> Any:
                return pool.open(rate_hz, on_result, on_error=on_error)

        session = CallSession(
            self.settings,
            facts,
            control=_CallControl(call),
            player=call.player,
            prompts=self.services.prompts,
            recognizer_factory=factory,
            tickets=self.services.tickets,
            executor=self._ticket_pool,
            recordings_dir=self.settings.data_dir / "recordings",
            on_finished=self._finished,
            blacklist_check=self._is_blacklisted,
        )
        call.player.on_done = lambda tag, t_frames, completed: session.prompt_done(tag, completed)
        with self._lock:
            self._sessions[facts.call_id] = session
            self._sip_calls[facts.call_id] = call
        metrics.CALLS_IN_PROGRESS.inc()
        session.start()
        return session

    def _finished(self, outcome: CallOutcome) -> None:
        self._transcribe_recordings(outcome)
        with self._lock:
            call = self._sip_calls.pop(outcome.call_id, None)
        if call is not None and call.answered_at is not None and call.confirmed_at is None:
            # Answered and never ACKed (a forged or flooding INVITE, docs/security.md): not a
            # call anyone made, so no call line and no calls/*.json that a flood could pile up.
            log.info("call %s never ACKed: no timeline written", outcome.call_id)
        elif self._on_call_finished is not None:
            # Report first, count second: whoever sees the count (GET /health) also finds the
            # call's line and timeline already written.
            self._on_call_finished(outcome)
        with self._lock:
            session = self._sessions.pop(outcome.call_id, None)
            self.calls_finished += 1
        metrics.CALLS_IN_PROGRESS.dec()
        timing = getattr(session, "frame_timing", None)
        metrics.count_call_end(outcome, getattr(timing, "late_count", 0))


    def _transcribe_recordings(self, outcome: CallOutcome) -> None:
        """Complaint recordings -> full-vocabulary transcript in the background queue (lowest
        priority, after the call), added to the call's ticket when done."""
        backend = self.services.recognizer_pool
        tickets = self.services.tickets
        if (backend is None or tickets is None or not outcome.ticket_refs
                or not self.settings.asr.transcribe_recordings
                or not hasattr(backend, "transcribe")):
            return
        ticket_id = outcome.ticket_refs[0]
        for path in outcome.recording_paths:
            if COMPLAINT_RECORDING_MARK not in Path(path).name:
                continue

            def done(result: Any, call_id: str = outcome.call_id) -> None:
                if result is None or not result.transcript:
                    return
                from ivr.text import tidy

                try:
                    tickets.add_transcript(ticket_id, tidy(result.transcript))
                    log.info("call %s: recording transcript added to its ticket", call_id)
                except Exception:  # never the text: it is the caller's words
                    log.exception("call %s: recording transcript not stored", call_id)

            backend.transcribe(path, done)


def _queue_wait_s(info: IncomingCallInfo | None) -> float:
    if info is None:
        return 0.0
    raw = info.headers.get(QUEUE_WAIT_HEADER, "")
    try:
        return max(0.0, float(raw)) if raw else 0.0
    except ValueError:
        log.warning("ignoring a malformed %s header: %r", QUEUE_WAIT_HEADER, raw[:20])
        return 0.0


def build_services(
    settings: Settings, *, with_asr: bool = True, progress: Callable[[str], None] | None = None
) -> AgentServices:
    """Tickets first (no complaint lost), prompts rendered (first greeting instant), then ASR."""
    say = progress or (lambda msg: log.info("%s", msg))
    from ivr.tickets.db import DatabaseUrlError
    from ivr.tickets.diskspace import writable_dir_problem
    from ivr.tickets.service import TicketService

    problem = writable_dir_problem(settings.data_dir)
    if problem is not None:
        raise StartupError(f"{problem}: fix its owner or mount, or set paths.data_dir / "
                           "IVR_DATA_DIR")
    try:
        tickets = TicketService.from_settings(settings)
    except DatabaseUrlError as exc:
        raise StartupError(f"{exc} (database.url or --db)") from None
    tickets.start_replayer(settings.database.journal_replay_interval_s)
    say(
        f"tickets: {mask_url(settings.database_url)} (journal replayed every "
        f"{settings.database.journal_replay_interval_s:.0f} s)"
    )
    from ivr.tickets.diskspace import guard_for

    disk = guard_for(tickets, min_free_bytes=settings.paths.min_free_mb * 1024 * 1024,
                     check_interval_s=settings.paths.disk_check_interval_s)
    first = disk.check()
    say(
        f"disk: {first.free_bytes // (1024 * 1024)} MB free on {first.path}, calls refused "
        f"below {disk.min_free_bytes // (1024 * 1024)} MB"
        + ("" if first.ok else f" -- REFUSING CALLS: {first.reason}")
    )

    from ivr.media.prompt_library import PromptLibrary

    prompts = PromptLibrary(settings)

    def render_progress(done: int, total: int, key: str) -> None:
        if done == total or done % 20 == 0:
            say(f"prompts: {done}/{total} ready")

    report = prompts.render_all(progress=render_progress)
    say(f"prompts: {_render_summary(report)}")

    pool: Any = None
    if with_asr and settings.asr.service_socket:
        from ivr.media.asr_backends.service import ServiceBackend

        # The host's recogniser service holds the model (and checked the keywords at start).
        pool = ServiceBackend(settings.asr.service_socket)
        say(f"speech recognition: the host's service at {settings.asr.service_socket}")
    elif with_asr:
        model_dir = choose_model(settings)
        if model_dir is None:
            log.warning(
                "no speech recognition model for %s (asr.model = %r): the agent runs on the DTMF "
                "menu only and records complaints as audio. Install one with `ivr models install "
                "vosk-model-small-cn-0.22` (or --from FILE.zip offline).",
                settings.service.default_locale,
                settings.asr.model,
            )
            say("speech recognition: none for this locale (DTMF menu only)")
        else:
            from ivr.media.asr_backends.inprocess import inprocess_backend

            pool = inprocess_backend(model_dir, settings.asr.workers_count)
            say(f"speech recognition: {model_dir}")
            _check_keywords(settings, pool, say)
    return AgentServices(prompts=prompts, recognizer_pool=pool, tickets=tickets, disk=disk)


def _check_keywords(settings: Settings, pool: Any, say: Callable[[str], None]) -> None:
    """At model load: the keywords the model cannot hear (issue 17), said and logged.

    Keywords come from config, not from callers, so they may be named in the log.
    """
    from ivr.policy.listening import phrases_by_intent

    locale = settings.service.default_locale
    report = pool.lexicon.check_keywords(phrases_by_intent(settings, locale))
    if report.ok:
        return
    lines = report.lines()
    log.warning("the speech model cannot hear some %s keywords; steps listening for them use "
                "full-vocabulary recognition: %s", locale, "; ".join(lines))
    say(f"speech recognition: {sum(len(v) for v in report.unhearable.values())} {locale} "
        "keywords not in the model's lexicon (see `ivr models check`)")


def choose_model(settings: Settings) -> Path | None:
    """The recogniser model for the default locale (see models.model_for_locale)."""
    from ivr.media.models import model_for_locale

    return model_for_locale(
        settings.asr.model, settings.data_dir, settings.service.default_locale
    )


def _render_summary(report: Any) -> str:
    parts = [
        f"{len(report.rendered)} rendered",
        f"{len(report.cached)} cached",
        f"{len(report.overridden)} recorded overrides",
        f"{len(report.runtime)} rendered in-call (call variables)",
    ]
    if report.failed:
        parts.append(f"{len(report.failed)} FAILED: {', '.join(sorted(report.failed))}")
    return ", ".join(parts)
