"""SipEngine: the pjsua2 Endpoint on one dedicated thread that owns every pjsua2 call.

pjlib aborts the process when called from a thread it does not know, so the Endpoint, transports,
account and calls live on the engine thread: it polls SIP events (libHandleEvents) and runs
commands handed over with :meth:`SipEngine.submit`. Media callbacks run on pjsua2's own media
thread (see ``port.py``).

pjsua2 Call objects and pjsua call slots: ``Call::~Call`` clears the user data of, and hangs up,
whatever call holds the slot id the object last knew; it never checks that the slot is still its
own. pjsua hands a freed slot to the next INVITE at once, even within the same
``libHandleEvents`` poll that reported the old call's end. So an ended call's object is dropped
inside its DISCONNECTED callback, while the slot is still its own (pjsua2 allows deleting a Call
there); any other object is dropped only when its slot is idle or its own (:meth:`_bury`).
Every object is dropped before ``libDestroy`` (pjsua2 aborts at exit otherwise).
"""

from __future__ import annotations

import ctypes
import heapq
import itertools
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import pjsua2 as pj

from ivr.sip.acceptgate import AcceptGating
from ivr.sip.call import AgentCall, _add_headers
from ivr.sip.config import PJSUA_COMPILED_MAX_CALLS, SipConfig, SipConfigError
from ivr.sip.guard import MethodGuard
from ivr.sip.headers import mask_uri, parse_headers, uri_user
from ivr.sip.logsafe import LogLimiter, source_of, wire_text
from ivr.sip.oversize import OversizeResponder, reuseport_option
from ivr.sip.shield import Shield, ShieldLimits
from ivr.sip.tcpguard import SWEEP_INTERVAL_S, TcpGuard, defer_accept
from ivr.sip.types import (
    Accept,
    CallListener,
    Decision,
    EngineHooks,
    IncomingCallInfo,
    Reject,
)

logger = logging.getLogger(__name__)
pjsip_logger = logging.getLogger("ivr.sip.pjsip")

T = TypeVar("T")
# libHandleEvents returns at once on a SIP event and PJSIP's own timers shorten the wait, so
# the poll length only delays commands from other threads (answer, hang-up, transfer) and our
# Python timers. 10 ms cost an idle 4-call worker ~1 % of a core in wake-ups (issue 16, measured
# 2.0 % -> 1.1 % idle at 50 ms): 25 workers paid a quarter of a core for nothing. RTP, DTMF and
# prompts run on the media thread and do not wait for it.
POLL_MS = 50
STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_HANGUP_WAIT_S = 2.0
WATCH_INTERVAL_S = 1.0
PORT_RETIRE_S = 2.0  # a finished call's media port lives this long before it is destroyed
GLOBAL_LOG_BURST_COUNT = 50  # PJSIP lines from all sources together, at once...
GLOBAL_LOG_REFILL_S = 1.0  # ...then one a second
_TRANSPORT_TYPES = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}


class SipError(RuntimeError):
    """The SIP engine could not start or do what was asked; the message says why."""


class _DefaultHooks:
    """Accept every call and answer it at once; no listener."""

    def on_incoming(self, info: IncomingCallInfo) -> Decision:
        return Accept()

    def on_new_call(self, call: AgentCall) -> None:
        return None

    def on_registration(self, ok: bool, code: int, reason: str) -> None:
        return None


class _LogWriter(pj.LogWriter):
    """Routes PJSIP's own log lines into Python logging, made safe (see ``logsafe.py``).

    PJSIP quotes a bad packet in its error line: the line is escaped, masked, shortened, and
    each sender gets a small budget of lines (plus one for everyone), so garbage on the wire
    cannot grow the log faster than a few lines a minute per source.
    """

    def __init__(self) -> None:
        super().__init__()
        self._per_source = LogLimiter(time.monotonic)
        self._overall = LogLimiter(time.monotonic, burst=GLOBAL_LOG_BURST_COUNT,
                                   refill_s=GLOBAL_LOG_REFILL_S)

    def write(self, entry: Any) -> None:
        level = logging.WARNING if entry.level <= 2 else logging.DEBUG
        if not pjsip_logger.isEnabledFor(level):
            return
        text = str(entry.msg).rstrip()
        source = source_of(text[:200])
        allowed, dropped = self._per_source.allow(source)
        if allowed:
            allowed, more = self._overall.allow("*")
            dropped += more
        if not allowed:
            return
        suffix = f" ({dropped} similar lines suppressed)" if dropped else ""
        pjsip_logger.log(level, "%s%s", wire_text(text), suffix)


class _Endpoint(pj.Endpoint):
    """Reports each new TCP connection to the accept gate (``acceptgate.py``)."""

    def __init__(self) -> None:
        super().__init__()
        self.on_connected: Callable[[], None] | None = None

    def onTransportState(self, prm: Any) -> None:
        if prm.state == pj.PJSIP_TP_STATE_CONNECTED and self.on_connected is not None:
            self.on_connected()


class _Account(pj.Account):
    def __init__(self, engine: SipEngine) -> None:
        super().__init__()
        self.engine = engine

    def onIncomingCall(self, prm: Any) -> None:
        try:
            self.engine._on_incoming_call(prm)
        except Exception:
            logger.exception("incoming call handling failed")

    def onRegState(self, prm: Any) -> None:
        try:
            self.engine._on_reg_state(int(prm.code), str(prm.reason))
        except Exception:
            logger.exception("registration callback failed")


class SipEngine:
    """The softphone: transports, one account (registered or direct) and up to 4 calls."""

    def __init__(self, config: SipConfig, hooks: EngineHooks | None = None) -> None:
        self.config = config
        self.hooks: EngineHooks = hooks or _DefaultHooks()
        self.account: Any = None
        self.max_calls = 0
        self.ports: dict[str, int] = {}
        self._accepting = True
        self._commands: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._calls: dict[int, AgentCall] = {}
        self._pending: list[AgentCall] = []
        self._graveyard: list[AgentCall] = []  # ended, waiting for their slot to be safe
        self._incoming_depth = 0  # > 0 while onIncomingCall runs (see _call_ended)
        self._lib: Any = None
        self._retired_ports: list[tuple[float, Any]] = []
        self._stop = threading.Event()
        self._ready: Future[None] = Future()
        self._thread: threading.Thread | None = None
        self._ep: Any = None
        self._guard: MethodGuard | None = None
        self._tcp_guard: TcpGuard | None = None
        self._gate: AcceptGating | None = None
        self._oversize: OversizeResponder | None = None
        self._log_writer: _LogWriter | None = None
        self.registered = False

    # ----- lifecycle --------------------------------------------------------------------------

    def start(self, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
        """Start the engine thread and wait until transports listen; raises SipError."""
        if self._thread is not None:
            raise SipError("SIP engine already started")
        self._thread = threading.Thread(target=self._run, name="sip-engine", daemon=True)
        self._thread.start()
        try:
            self._ready.result(timeout=timeout_s)
        except (SipError, SipConfigError):
            self._thread.join(timeout_s)
            raise
        except Exception as exc:
            self._stop.set()
            raise SipError(f"SIP engine failed to start: {exc}") from exc

    def stop(self, timeout_s: float = 10.0) -> None:
        """Hang up every call, destroy the library and join the thread."""
        self._stop.set()
        if self._thread is threading.current_thread():
            return  # called from a callback: the loop ends after it returns
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                logger.error("SIP engine thread did not stop within %.1f s", timeout_s)
        self._thread = None

    def __enter__(self) -> SipEngine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- public API (any thread) ------------------------------------------------------------

    @property
    def accepting(self) -> bool:
        """False while draining: new INVITEs get 503 with Retry-After."""
        return self._accepting

    def set_accepting(self, accepting: bool) -> None:
        """Switch draining mode on (False) or off (True)."""
        self._accepting = accepting
        logger.info("SIP engine %s new calls", "accepting" if accepting else "refusing (503)")

    @property
    def active_calls(self) -> list[AgentCall]:
        """Calls not yet disconnected (a snapshot)."""
        return [c for c in list(self._calls.values()) if c.is_active]

    @property
    def busy(self) -> bool:
        """True while any call exists, including a transfer leg not yet given an id."""
        return bool(self._calls or self._pending)

    @property
    def local_uri(self) -> str:
        """Where callers reach us directly: sip:user@bind:port."""
        port = self.ports.get("udp") or self.ports.get("tcp") or self.ports.get("tls")
        return f"sip:{self.config.user}@{self.config.bind_address}:{port}"

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``fn(*args)`` on the engine thread; inline when already on it."""
        future: Future[T] = Future()
        if threading.current_thread() is self._thread:
            _run_into(future, fn, args)
            return future
        if self._stop.is_set() or self._thread is None:
            future.set_exception(SipError("SIP engine is not running"))
            return future
        self._commands.put(lambda: _run_into(future, fn, args))
        return future

    def make_call(self, uri: str, headers: dict[str, str] | None = None,
                  listener: CallListener | None = None, timeout_s: float = 5.0) -> AgentCall:
        """Place an outgoing call (for the test softphone); returns once INVITE is sent."""
        return self.submit(self._make_call_now, uri, headers, listener).result(timeout_s)

    # ----- engine thread ----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._init_library()
        except Exception as exc:
            logger.error("SIP engine start failed: %s", exc)
            self._ready.set_exception(exc)
            self._destroy_library()
            return
        self._ready.set_result(None)
        next_watch = time.monotonic() + WATCH_INTERVAL_S
        next_sweep = time.monotonic() + SWEEP_INTERVAL_S
        while not self._stop.is_set():
            try:
                events = self._ep.libHandleEvents(POLL_MS)
                if self._gate is not None:
                    self._gate.check(time.monotonic(), events)
                self._drain_commands()
                self._run_timers()
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + SWEEP_INTERVAL_S
                    self._sweep_tcp()
                if time.monotonic() >= next_watch:
                    next_watch = time.monotonic() + WATCH_INTERVAL_S
                    self._watch_media()
                self._bury()
            except Exception:
                logger.exception("SIP engine loop error")
        self._shutdown()

    def _init_library(self) -> None:
        cfg = self.config
        lib = ctypes.CDLL(pj._pjsua2.__file__)
        lib.pjsua_call_get_user_data.restype = ctypes.c_void_p
        lib.pjsua_call_get_user_data.argtypes = [ctypes.c_int]
        lib.pjsua_call_is_active.restype = ctypes.c_int
        lib.pjsua_call_is_active.argtypes = [ctypes.c_int]
        self._lib = lib
        # pj_init logs a banner to stdout before libInit applies our log config; silence it.
        lib.pj_log_set_level(ctypes.c_int(min(cfg.pjsip_log_level, 1)))
        _set_transaction_timeout(lib, cfg.transaction_timeout_s)
        ep = _Endpoint()
        self._ep = ep
        ep.libCreate()
        epc = pj.EpConfig()
        epc.uaConfig.threadCnt = 0
        epc.uaConfig.mainThreadOnly = False
        epc.uaConfig.maxCalls = min(cfg.max_calls_count, 32)
        epc.uaConfig.userAgent = cfg.user_agent
        epc.uaConfig.mwiUnsolicitedEnabled = False
        epc.uaConfig.stunServer = pj.StringVector()
        epc.uaConfig.nameserver = pj.StringVector()  # no PJSIP resolver
        epc.medConfig.clockRate = cfg.clock_rate_hz
        epc.medConfig.sndClockRate = cfg.clock_rate_hz
        epc.medConfig.audioFramePtime = cfg.frame_ms
        epc.medConfig.noVad = True
        epc.medConfig.ecTailLen = 0
        epc.medConfig.threadCnt = 1
        epc.logConfig.level = cfg.pjsip_log_level
        epc.logConfig.consoleLevel = cfg.pjsip_log_level
        epc.logConfig.msgLogging = False
        self._log_writer = _LogWriter()
        epc.logConfig.writer = self._log_writer
        epc.logConfig.decor = 0
        ep.libInit(epc)
        ep.audDevManager().setNullDev()
        lib.pjsua_call_get_max_count.restype = ctypes.c_uint
        self.max_calls = int(lib.pjsua_call_get_max_count())
        logger.info(
            "call cap: %d calls per process (configured max_calls_count=%d, wheel compiled "
            "with PJSUA_MAX_CALLS=%d); further INVITEs get 486",
            self.max_calls, cfg.max_calls_count, PJSUA_COMPILED_MAX_CALLS,
        )
        limits = ShieldLimits(
            unconfirmed_per_source_count=cfg.unconfirmed_per_source_count,
            strikes_count=cfg.ack_strikes_count,
            strike_window_s=cfg.ack_strike_window_s,
            ban_s=cfg.ack_ban_s,
        )
        shield = Shield(limits, cfg.trusted_sources)
        self._guard = MethodGuard(lib, shield)
        self._tcp_guard = TcpGuard(cfg.tcp_idle_timeout_s, cfg.tcp_per_source_count,
                                   shield.trusted)
        tcp_guard = self._tcp_guard
        self._guard.on_request = lambda peer: tcp_guard.seen_request(peer, time.monotonic())
        lib.pjsua_call_get_count.restype = ctypes.c_uint
        self._guard.calls_full = lambda: int(lib.pjsua_call_get_count()) >= self.max_calls
        self._guard.on_busy = lambda: self._rejected(486, "Busy Here")
        self._guard.register()
        self._create_transports()
        self._set_codecs()
        ep.libStart()
        stream_ports = [self.ports[n] for n in ("tcp", "tls") if n in self.ports]
        defer_accept(stream_ports)
        self._oversize = self._start_oversize_responder()
        self._gate = AcceptGating.start(lib, len(self.ports), stream_ports, cfg.trusted_sources,
                                        tls="tls" in self.ports)
        if self._gate is not None:
            ep.on_connected = self._gate.connected
        self._create_account()

    def _start_oversize_responder(self) -> OversizeResponder | None:
        if "udp" not in self.ports:
            return None
        try:
            return OversizeResponder(self.config.bind_address, self.ports["udp"],
                                     self.config.user_agent)
        except OSError as exc:
            logger.warning("SIP requests over 4,000 bytes will be dropped unanswered (could not "
                           "join the UDP port: %s); the Kamailio front answers them 513", exc)
            return None

    def _create_transports(self) -> None:
        cfg = self.config
        port = cfg.port
        for attempt in range(8):
            created: list[int] = []
            try:
                for name in cfg.transports:
                    tc = pj.TransportConfig()
                    tc.boundAddress = cfg.bind_address
                    if name == "tls":
                        tc.port = cfg.effective_tls_port if cfg.port else 0
                        tc.tlsConfig.certFile = cfg.tls_cert_file or ""
                        tc.tlsConfig.privKeyFile = cfg.tls_key_file or ""
                    else:
                        tc.port = port
                    if name == "udp":
                        # SO_REUSEPORT (so oversize.py can take what PJSIP can't read) would
                        # also let a second agent share the port: claim it plainly first.
                        tc.port = _unshared_udp_port(cfg.bind_address, port, cfg.transports)
                        _reuse_port(tc)
                    tid = self._ep.transportCreate(_TRANSPORT_TYPES[name], tc)
                    created.append(tid)
                    actual = int(str(self._ep.transportGetInfo(tid).localName).rsplit(":", 1)[1])
                    self.ports[name] = actual
                    if name != "tls":
                        port = actual
                break
            except pj.Error as err:
                for tid in created:
                    self._ep.transportClose(tid)
                self.ports.clear()
                if cfg.port or attempt == 7:
                    raise SipError(
                        f"cannot listen on {cfg.bind_address}:{cfg.port} "
                        f"({'/'.join(cfg.transports)}): {_pj_reason(err)}"
                    ) from None
                port = 0
        logger.info(
            "SIP listening on %s %s",
            cfg.bind_address, ", ".join(f"{k}:{v}" for k, v in self.ports.items()),
        )

    def _set_codecs(self) -> None:
        wanted = {name.lower(): 255 - i for i, name in enumerate(self.config.codecs)}
        enabled = []
        for codec in self._ep.codecEnum2():
            cid = str(codec.codecId)
            prio = next((p for name, p in wanted.items() if cid.lower().startswith(name)), 0)
            self._ep.codecSetPriority(cid, prio)
            if prio:
                enabled.append(cid)
        if not enabled:
            raise SipConfigError(
                f"sip.codecs = {list(self.config.codecs)!r}: none is in this pjsua2 build"
            )
        logger.info("codecs enabled: %s", ", ".join(enabled))

    def _create_account(self) -> None:
        cfg = self.config
        ac = pj.AccountConfig()
        ac.idUri = f"sip:{cfg.user}@{cfg.effective_domain}"
        ac.natConfig.iceEnabled = False
        ac.natConfig.sipStunUse = pj.PJSUA_STUN_USE_DISABLED
        ac.natConfig.mediaStunUse = pj.PJSUA_STUN_USE_DISABLED
        ac.natConfig.contactRewriteUse = 0
        ac.natConfig.viaRewriteUse = 0
        ac.natConfig.sdpNatRewriteUse = 0
        _set_media_transport(ac.mediaConfig.transportConfig, cfg)
        ac.presConfig.publishEnabled = False
        ac.mwiConfig.enabled = False
        if cfg.registrar:
            password = os.environ.get(cfg.password_env)
            if password is None:
                raise SipConfigError(
                    f"sip.registrar is set but the password environment variable "
                    f"{cfg.password_env} (sip.password_env) is not set"
                )
            ac.regConfig.registrarUri = cfg.registrar
            ac.regConfig.timeoutSec = cfg.register_expiry_s
            ac.regConfig.retryIntervalSec = 30
            ac.regConfig.registerOnAdd = True
            ac.sipConfig.authCreds.append(
                pj.AuthCredInfo("digest", "*", cfg.user, 0, password)
            )
        else:
            ac.regConfig.registrarUri = ""
            ac.regConfig.registerOnAdd = False
        account = _Account(self)
        account.create(ac, True)
        self.account = account

    def _on_reg_state(self, code: int, reason: str) -> None:
        ok = 200 <= code < 300
        self.registered = ok
        if ok:
            logger.info("registered at %s (%d)", self.config.registrar, code)
        else:
            logger.warning("registration at %s failed: %d %s", self.config.registrar, code,
                           reason)
        self.hooks.on_registration(ok, code, reason)

    def _on_incoming_call(self, prm: Any) -> None:
        self._incoming_depth += 1
        try:
            self._on_incoming_call_now(prm)
        finally:
            self._incoming_depth -= 1

    def _on_incoming_call_now(self, prm: Any) -> None:
        rdata = prm.rdata
        message = str(rdata.wholeMsg)
        headers = parse_headers(message)
        via = headers.get("via", "").upper()
        transport = "tls" if "/TLS" in via else "tcp" if "/TCP" in via else "udp"
        info = IncomingCallInfo(
            sip_call_id=headers.get("call-id", ""),
            remote_uri=headers.get("from", ""),
            remote_user=uri_user(headers.get("from", "")),
            local_uri=headers.get("to", ""),
            source=str(rdata.srcAddress),
            transport=transport,
            headers=headers,
        )
        call = AgentCall(self, direction="in", call_id=int(prm.callId), info=info)
        self._calls[call.call_id] = call
        logger.info("%s: INVITE from %s via %s", call.tag, mask_uri(info.remote_uri), transport)
        if not self._accepting:
            call._answer_now(503, "Service Unavailable",
                             {"Retry-After": str(self.config.retry_after_s)})
            self._rejected(503, "Service Unavailable")
            return
        try:
            decision = self.hooks.on_incoming(info)
        except Exception:
            logger.exception("%s: on_incoming hook failed; refusing the call", call.tag)
            decision = Reject(500, "Server Internal Error")
        if isinstance(decision, Reject):
            call._answer_now(decision.code, decision.reason)
            self._rejected(decision.code, decision.reason)
            return
        call.media_enabled = decision.media
        try:
            self.hooks.on_new_call(call)
        except Exception:
            logger.exception("%s: on_new_call hook failed; refusing the call", call.tag)
            call._answer_now(500, "Server Internal Error")
            return
        call._answer_now(200 if decision.auto_answer else 180)

    def _rejected(self, code: int, reason: str) -> None:
        """An INVITE refused before a session (486 full, 503 draining, a hook's Reject)."""
        hook = getattr(self.hooks, "on_rejected", None)
        if hook is not None:
            try:
                hook(code, reason)
            except Exception:
                logger.exception("on_rejected hook failed")

    def _make_call_now(self, uri: str, headers: dict[str, str] | None,
                       listener: CallListener | None) -> AgentCall:
        call = AgentCall(self, direction="out", listener=listener)
        call.remote_uri = uri
        prm = pj.CallOpParam(True)
        _add_headers(prm, headers)
        try:
            call._pj.makeCall(uri, prm)
        except pj.Error as err:
            call._release()
            raise SipError(f"cannot call {uri}: {_pj_reason(err)}") from None
        call.call_id = int(call._pj.getId())
        self._calls[call.call_id] = call
        logger.info("%s: calling %s", call.tag, mask_uri(uri))
        return call

    def _adopt(self, call: AgentCall) -> None:
        """Keep a call object alive before pjsua gives it an id (transfer legs)."""
        self._pending.append(call)

    def _call_seen(self, call: AgentCall) -> None:
        if call in self._pending:
            self._pending.remove(call)
        self._calls[call.call_id] = call

    def _call_ended(self, call: AgentCall) -> None:
        """The call is DISCONNECTED (engine thread, inside its state callback)."""
        if call in self._pending:
            self._pending.remove(call)
        if self._calls.get(call.call_id) is call:
            del self._calls[call.call_id]
        if self._incoming_depth or not self._slot_is_safe(call):
            # Ended while onIncomingCall runs (a rejected INVITE): pjsua2 reads the slot's user
            # data after that callback returns, so the object must outlive it.
            self._graveyard.append(call)
            return
        # Drop the pjsua2 Call now: its wrapper dies as this callback unwinds, before pjsua
        # frees the slot. Dropping it after the poll (as before) let Call::~Call hang up the
        # next INVITE that pjsua had given the same slot in that poll.
        call._release()

    def _slot_is_safe(self, call: AgentCall) -> bool:
        """True when destroying ``call``'s pjsua2 Call cannot touch another call.

        ``Call::~Call`` clears the user data of its slot id and hangs that slot up if active:
        harmless only when the slot is its own or idle.
        """
        address, slot = call._pj_slot()
        if slot == pj.PJSUA_INVALID_ID or self._lib is None:
            return True
        owner = self._lib.pjsua_call_get_user_data(slot) or 0
        if owner == address:
            return True
        return owner == 0 and not self._lib.pjsua_call_is_active(slot)

    def _bury(self) -> None:
        if self._graveyard:
            waiting = []
            for call in self._graveyard:
                if self._slot_is_safe(call):
                    call._release()
                else:  # its slot serves a newer call: wait until that one is over
                    waiting.append(call)
            self._graveyard = waiting
        if self._retired_ports and self._retired_ports[0][0] <= time.monotonic():
            now = time.monotonic()
            for t, port in self._retired_ports:
                if t <= now:
                    port.destroy()  # C++ side first: see CallMediaPort.destroy
            self._retired_ports = [(t, p) for t, p in self._retired_ports if t > now]

    def _retire_port(self, port: Any) -> None:
        self._retired_ports.append((time.monotonic() + PORT_RETIRE_S, port))

    @property
    def shield(self) -> Shield | None:
        """The stateful request checks (None before the library is up)."""
        return self._guard.shield if self._guard is not None else None

    def _call_answered(self, call: AgentCall) -> None:
        """200 sent: the call holds a slot for its client until it is ACKed or gone."""
        if self.shield is not None and call.info is not None:
            self.shield.answered(call.info.sip_call_id)
        self._watch_ack(call)

    def _call_settled(self, call: AgentCall) -> None:
        """ACKed or ended: it no longer counts against its client.

        An answered call that ends without its ACK keeps its pjsua slot until the INVITE
        transaction times out, so it keeps counting until then.
        """
        if self.shield is None or call.info is None:
            return
        shield, call_id = self.shield, call.info.sip_call_id
        if call.answered_at is not None and call.confirmed_at is None and call.state != "CONFIRMED":
            self._call_later(self.config.transaction_timeout_s + 1.0,
                             lambda: shield.confirmed(call_id))
            return
        shield.confirmed(call_id)

    def _watch_ack(self, call: AgentCall) -> None:
        def check() -> None:
            if call.is_active and call.state != "CONFIRMED":
                logger.warning("%s: no ACK within %.1f s; hanging up", call.tag,
                               self.config.ack_timeout_s)
                banned = ""
                if self.shield is not None and call.info is not None:
                    banned = self.shield.strike(call.info.sip_call_id, time.monotonic())
                if banned:
                    logger.warning("source %s keeps sending INVITEs it never ACKs: refused "
                                   "for %.0f s", banned, self.config.ack_ban_s)
                call._hangup_now(408, "No ACK")

        self._call_later(self.config.ack_timeout_s, check)

    def _sweep_tcp(self) -> None:
        """Close idle/excess SIP TCP connections that carry no call (``tcpguard.py``)."""
        ports = [self.ports[name] for name in ("tcp", "tls") if name in self.ports]
        if self._tcp_guard is None or not ports:
            return
        busy: set[tuple[str, int]] = set()
        for call in self._calls.values():
            if call.info is not None and call.info.transport != "udp":
                host, _, port = call.info.source.rpartition(":")
                if port.isdigit():
                    busy.add((host.strip("[]"), int(port)))
        self._tcp_guard.sweep(ports, busy, time.monotonic())

    def _watch_media(self) -> None:
        limit = self.config.no_media_timeout_s
        now = time.monotonic()
        for call in list(self._calls.values()):
            if not call.is_active:
                continue
            if not self._owns_slot(call):
                self._lose(call)
                continue
            if limit <= 0 or call.confirmed_at is None:
                continue
            count = call._rx_packet_count()
            if count is not None and count != call._rx_packets:
                call._rx_packets = count
                call._rx_changed_at = now
            elif now - call._rx_changed_at >= limit:
                logger.warning("%s: no RTP for %.0f s; hanging up", call.tag, limit)
                call._rx_changed_at = now
                try:
                    call._hangup_now(0, "No media")
                except pj.Error as err:
                    logger.warning("%s: hangup failed: %s", call.tag, _pj_reason(err))

    def _owns_slot(self, call: AgentCall) -> bool:
        """True while pjsua still routes this call's slot to our Call object."""
        address, slot = call._pj_slot()
        if slot == pj.PJSUA_INVALID_ID or self._lib is None:
            return address != 0
        return (self._lib.pjsua_call_get_user_data(slot) or 0) == address

    def _lose(self, call: AgentCall) -> None:
        """pjsua no longer reports this call to us: end it here so no session waits for ever."""
        logger.error("%s: pjsua no longer reports this call; ending it", call.tag)
        _, slot = call._pj_slot()
        if (slot != pj.PJSUA_INVALID_ID and not self._lib.pjsua_call_get_user_data(slot)
                and self._lib.pjsua_call_is_active(slot)):
            # Nobody else claimed the slot: it is still this call, orphaned. End it in pjsua
            # too, or it would hold the slot for ever.
            try:
                call._pj.hangup(pj.CallOpParam(True))
            except pj.Error as err:
                logger.warning("%s: hangup failed: %s", call.tag, _pj_reason(err))
        if self._calls.get(call.call_id) is call:
            del self._calls[call.call_id]
        self._graveyard.append(call)  # dropped once its slot is safe
        call._end_lost()

    def _call_later(self, delay_s: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (time.monotonic() + delay_s, next(self._seq), fn))

    def _run_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, fn = heapq.heappop(self._timers)
            try:
                fn()
            except Exception:
                logger.exception("SIP engine timer failed")

    def _drain_commands(self) -> None:
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            command()

    def _shutdown(self) -> None:
        try:
            if self._calls:
                for call in self._calls.values():
                    call._local_hangup = True
                self._ep.hangupAllCalls()
                deadline = time.monotonic() + SHUTDOWN_HANGUP_WAIT_S
                while self._calls and time.monotonic() < deadline:
                    self._ep.libHandleEvents(POLL_MS)
        except Exception:
            logger.exception("hanging up calls at shutdown failed")
        while True:  # fail pending submits instead of leaving callers waiting
            try:
                self._commands.get_nowait()
            except queue.Empty:
                break
        self._destroy_library()

    def _destroy_library(self) -> None:
        if self._oversize is not None:
            self._oversize.close()
            self._oversize = None
        for call in [*self._calls.values(), *self._pending, *self._graveyard]:
            call._release()
        self._calls.clear()
        self._pending.clear()
        self._graveyard.clear()
        for _, port in self._retired_ports:
            port.destroy()
        self._retired_ports.clear()
        self._timers.clear()
        if self.account is not None:
            try:
                self.account.shutdown()
            except Exception:
                logger.exception("account shutdown failed")
            self.account = None
        if self._ep is not None:
            try:
                self._ep.libDestroy()
            except Exception:
                logger.exception("libDestroy failed")
            self._ep = None
        logger.info("SIP engine stopped")


# pjsip_cfg_t.tsx holds max_count, t1, t2, t4, td (unsigned, ms) after a run of pj_bool_t
# endpoint flags whose number changes between PJSIP versions, so find the block by its
# default values instead of by offset.
_TSX_DEFAULTS_MS = (1023, 500, 4000, 5000, 32000)


def _set_transaction_timeout(lib: ctypes.CDLL, timeout_s: float) -> None:
    """Set PJSIP's transaction timeout (Timer B/F/H) before the stack is created."""
    base = ctypes.addressof(ctypes.c_uint.in_dll(lib, "pjsip_sip_cfg_var"))
    words = (ctypes.c_uint * 64).from_address(base)
    values = list(words)
    for i in range(len(values) - len(_TSX_DEFAULTS_MS)):
        if tuple(values[i : i + 5]) == _TSX_DEFAULTS_MS:
            words[i + 4] = int(timeout_s * 1000)
            logger.info("SIP transaction timeout set to %.1f s", timeout_s)
            return
        if values[i + 1] == 500 and values[i + 4] == int(timeout_s * 1000):
            return  # already set (a second engine in this process)
    logger.warning("PJSIP transaction timers not found; transaction timeout stays 32 s")


def _pj_reason(err: Any) -> str:
    """The human part of a pjsua2 Error ("Address already in use"), without call-site noise."""
    text = str(getattr(err, "reason", "") or "") or str(err.info())
    text = text.split(" error: ", 1)[-1]
    return text.split(" (status=", 1)[0].strip()


def _run_into(future: Future[Any], fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(fn(*args))
    except BaseException as exc:
        future.set_exception(exc)


def _unshared_udp_port(bind_address: str, port: int, transports: tuple[str, ...]) -> int:
    """``port`` (0: a free one) after checking that no socket, shared or not, holds it."""
    family = socket.AF_INET6 if ":" in bind_address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((bind_address, port))
            return int(probe.getsockname()[1])
    except OSError as exc:
        raise SipError(f"cannot listen on {bind_address}:{port} ({'/'.join(transports)}): "
                       f"{exc.strerror or exc}") from None


def _reuse_port(tc: Any) -> None:
    level, name = reuseport_option()
    option = pj.SockOpt()
    option.level, option.optName = level, name
    option.setOptValInt(1)
    options = pj.SockOptVector()
    options.append(option)
    tc.sockOptParams.sockOpts = options


def _set_media_transport(tc: Any, cfg: SipConfig) -> None:
    """RTP sockets: bound to the media address, advertised as the public one, in the range."""
    tc.boundAddress = cfg.effective_media_address
    if cfg.public_address:
        tc.publicAddress = cfg.public_address
    tc.port = cfg.rtp_port_min
    tc.portRange = cfg.rtp_port_max - cfg.rtp_port_min if cfg.rtp_port_min else 0
    logger.info(
        "media: RTP on %s ports %s, advertised as %s", cfg.effective_media_address,
        f"{cfg.rtp_port_min}-{cfg.rtp_port_max}" if cfg.rtp_port_min else "any",
        cfg.advertised_media_address,
    )
