"""AgentCall: one SIP call as the upper layer sees it (answer, hang up, DTMF, transfer, audio).

Every method is safe from any thread: it runs on the SIP engine thread (inline when already there)
and returns a Future. pjsua2 callbacks arrive on ``_PjCall`` and are forwarded here.
"""

from __future__ import annotations

import logging
import queue
import time
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from ivr.sip.dtmf import DtmfGate
from ivr.sip.headers import mask_uri, refer_target
from ivr.sip.logsafe import wire_text
from ivr.sip.medialock import MediaLock, parse_address
from ivr.sip.player import FramePlayer
from ivr.sip.port import FRAMES_IN_MAX_COUNT, CallMediaPort
from ivr.sip.types import CallListener, IncomingCallInfo

if TYPE_CHECKING:
    from ivr.sip.engine import SipEngine

logger = logging.getLogger(__name__)

STATE_NAMES = {
    pj.PJSIP_INV_STATE_NULL: "NULL",
    pj.PJSIP_INV_STATE_CALLING: "CALLING",
    pj.PJSIP_INV_STATE_INCOMING: "INCOMING",
    pj.PJSIP_INV_STATE_EARLY: "EARLY",
    pj.PJSIP_INV_STATE_CONNECTING: "CONNECTING",
    pj.PJSIP_INV_STATE_CONFIRMED: "CONFIRMED",
    pj.PJSIP_INV_STATE_DISCONNECTED: "DISCONNECTED",
}
DTMF_METHODS = {"rfc2833": pj.PJSUA_DTMF_METHOD_RFC2833, "info": pj.PJSUA_DTMF_METHOD_SIP_INFO}
VALID_DTMF = set("0123456789*#ABCDabcd")


class _PjCall(pj.Call):
    """pjsua2 Call subclass that only forwards callbacks to its AgentCall."""

    def __init__(self, owner: AgentCall, account: pj.Account, call_id: int) -> None:
        super().__init__(account, call_id)
        self.owner = owner

    def onCallState(self, prm: Any) -> None:
        self.owner._guard("state", self.owner._on_state)

    def onCallMediaState(self, prm: Any) -> None:
        self.owner._guard("media", self.owner._on_media_state)

    def onDtmfDigit(self, prm: Any) -> None:
        if int(prm.method) != pj.PJSUA_DTMF_METHOD_SIP_INFO:
            return  # RFC 2833 digits come through onDtmfEvent, checked by the DtmfGate
        digit = str(prm.digit)
        self.owner._guard("dtmf", lambda: self.owner._on_dtmf(digit))

    def onDtmfEvent(self, prm: Any) -> None:
        digit, stamp = str(prm.digit), int(prm.timestamp)
        duration, flags = int(prm.duration), int(prm.flags)
        self.owner._guard("dtmf", lambda: self.owner._on_dtmf_event(digit, stamp, duration,
                                                                    flags))

    def onCallTransferStatus(self, prm: Any) -> None:
        code, final = int(prm.statusCode), bool(prm.finalNotify)
        self.owner._guard("transfer", lambda: self.owner._on_transfer_status(code, final))

    def onCallTransferRequest(self, prm: Any) -> None:
        # We are the transferee (e.g. the `ivr call` softphone): follow the REFER with a new
        # call object so the new leg's events reach us too.
        self.owner._guard("refer", lambda: self.owner._on_transfer_request(prm))


class AgentCall:
    """One call. Attributes the upper layer uses: listener, player, frames_in, info, state."""

    def __init__(
        self,
        engine: SipEngine,
        *,
        direction: str,
        call_id: int = pj.PJSUA_INVALID_ID,
        info: IncomingCallInfo | None = None,
        listener: CallListener | None = None,
    ) -> None:
        self.engine = engine
        self.direction = direction  # "in" or "out"
        self.info = info
        self.listener: CallListener = listener or CallListener()
        cfg = engine.config
        self.player = FramePlayer(cfg.bytes_per_port_frame)
        self.frames_in: queue.Queue[tuple[int, bytes]] = queue.Queue(FRAMES_IN_MAX_COUNT)
        self.state = "NULL"
        self.remote_uri = info.remote_uri if info else ""
        self.created_at = time.monotonic()
        self.answered_at: float | None = None
        self.confirmed_at: float | None = None
        self.ended_at: float | None = None
        self.end_code = 0
        self.end_reason = ""
        self.ended_by_remote: bool | None = None
        self.transferred_from: AgentCall | None = None
        self._local_hangup = False
        self._media_ready = False
        self.media_enabled = True
        self._port: CallMediaPort | None = None
        self._pj: Any = _PjCall(self, engine.account, call_id)
        self.call_id = call_id
        self._rx_packets = 0
        self._rx_changed_at = 0.0
        self._dtmf_gate = DtmfGate()
        self._media_lock: MediaLock | None = None

    # ----- public API (any thread) -------------------------------------------------------------

    @property
    def tag(self) -> str:
        """Short id for logs: c<local id>."""
        return f"c{self.call_id}"

    @property
    def is_active(self) -> bool:
        """True until the call is disconnected."""
        return self.state != "DISCONNECTED"

    def answer(self, code: int = 200, reason: str = "", headers: dict[str, str] | None = None
               ) -> Future[None]:
        """Answer (200), send a provisional (180/183) or reject (>= 300) the incoming call."""
        return self.engine.submit(self._answer_now, code, reason, headers)

    def hangup(self, reason_code: int = 0, reason: str = "") -> Future[None]:
        """End the call (BYE / CANCEL / final response, as pjsua picks for the state)."""
        return self.engine.submit(self._hangup_now, reason_code, reason)

    def send_dtmf(self, digits: str, method: str = "rfc2833") -> Future[None]:
        """Send DTMF digits by RFC 2833/4733 events (default) or SIP INFO."""
        if not digits or any(d not in VALID_DTMF for d in digits):
            raise ValueError(f"DTMF digits must be 0-9 * # A-D, not {digits!r}")
        if method not in DTMF_METHODS:
            raise ValueError(f"DTMF method must be one of {sorted(DTMF_METHODS)}, not {method!r}")
        return self.engine.submit(self._send_dtmf_now, digits, method)

    def transfer(self, target_uri: str, headers: dict[str, str] | None = None) -> Future[None]:
        """Blind transfer by REFER; ``headers`` ride in the Refer-To URI into the new INVITE.

        The outcome comes back as ``listener.on_transfer_result(call, ok, code)``.
        """
        target = refer_target(target_uri, headers or {})
        return self.engine.submit(self._transfer_now, target)

    # ----- engine thread ----------------------------------------------------------------------

    def _guard(self, what: str, fn: Any) -> None:
        try:
            fn()
        except Exception:
            logger.exception("%s: %s callback failed", self.tag, what)

    def _answer_now(self, code: int, reason: str = "", headers: dict[str, str] | None = None
                    ) -> None:
        if not self.is_active:
            return
        prm = pj.CallOpParam(True)
        prm.statusCode = code
        if reason:
            prm.reason = reason
        _add_headers(prm, headers)
        self._pj.answer(prm)
        if code == 200:
            self.answered_at = time.monotonic()
            self.engine._call_answered(self)
        logger.info("%s: answered %d", self.tag, code)

    def _hangup_now(self, reason_code: int = 0, reason: str = "") -> None:
        if not self.is_active:
            return
        self._local_hangup = True
        prm = pj.CallOpParam(True)
        if reason_code:
            prm.statusCode = reason_code
        if reason:
            prm.reason = reason
        self._pj.hangup(prm)
        logger.info("%s: hangup requested (%s)", self.tag, reason_code or "default")

    def _send_dtmf_now(self, digits: str, method: str) -> None:
        if not self.is_active:
            return
        prm = pj.CallSendDtmfParam()
        prm.method = DTMF_METHODS[method]
        prm.digits = digits
        self._pj.sendDtmf(prm)
        logger.info("%s: sent %d DTMF digit(s) by %s", self.tag, len(digits), method)

    def _transfer_now(self, target: str) -> None:
        if not self.is_active:
            raise RuntimeError(f"{self.tag}: cannot transfer a disconnected call")
        self._pj.xfer(target, pj.CallOpParam(True))
        logger.info("%s: REFER sent", self.tag)

    def _on_state(self) -> None:
        info = self._pj.getInfo()
        self.call_id = info.id
        self.state = STATE_NAMES.get(info.state, str(info.state))
        if self.remote_uri == "":
            self.remote_uri = info.remoteUri
        logger.info("%s: state %s", self.tag, self.state)
        if self.state == "CONFIRMED" and self.confirmed_at is None:
            self.engine._call_settled(self)
            self.confirmed_at = time.monotonic()
            self._rx_changed_at = self.confirmed_at
            if self.answered_at is None:
                self.answered_at = self.confirmed_at
        if self.state == "DISCONNECTED":
            self.ended_at = time.monotonic()
            self.end_code = int(info.lastStatusCode)
            self.end_reason = str(info.lastReason)
            self.ended_by_remote = not self._local_hangup
            self.player.stop()
            self.engine._call_settled(self)
            self.engine._call_ended(self)
            logger.info(
                "%s: disconnected %d %s by %s (%s)", self.tag, self.end_code,
                wire_text(self.end_reason, 80),
                "remote" if self.ended_by_remote else "us", mask_uri(self.remote_uri),
            )
            self.listener.on_disconnected(self, self.end_code, self.end_reason,
                                          bool(self.ended_by_remote))
            return
        self.engine._call_seen(self)
        self.listener.on_state(self, self.state)

    def _on_media_state(self) -> None:
        if not self.media_enabled:
            return
        info = self._pj.getInfo()
        for media in info.media:
            if media.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            if media.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
                continue
            audio = self._pj.getAudioMedia(media.index)
            if self._port is None:
                cfg = self.engine.config
                port = CallMediaPort(self.player, self.frames_in, self._frame_hook)
                port.open(f"ivr{self.call_id}", cfg.clock_rate_hz, cfg.port_frame_ms)
                self._port = port
            audio.startTransmit(self._port)
            self._port.startTransmit(audio)
            if self.direction == "in" and cfg_lock(self):
                self._start_media_lock(media.index)
            if not self._media_ready:
                self._media_ready = True
                logger.info("%s: media ready", self.tag)
                self.listener.on_media_ready(self)
            return

    def _frame_hook(self, pcm: bytes, t_frames: int) -> None:
        self.listener.on_frame(self, pcm, t_frames)

    def _start_media_lock(self, index: int) -> None:
        """Lock the media sockets to the caller's signalled addresses (``medialock.py``)."""
        stream = self._pj.getStreamInfo(index)
        transport = self._pj.getMedTransportInfo(index)
        local_rtp = parse_address(str(transport.localRtpName))
        signalled = parse_address(str(stream.remoteRtpAddress))
        if local_rtp is None or signalled is None:
            logger.warning("%s: media addresses unreadable; media not locked", self.tag)
            return
        current = self._media_lock
        if current is not None and signalled[0] in current.allowed:
            return  # already locked to this address (a re-offer to the same place, or hold)
        # First media, or a re-INVITE moving the media (the shield lets only trusted sources,
        # such as a PBX releasing its media path, do that): lock to the new address.
        source_ip = self.info.source.rsplit(":", 1)[0].strip("[]") if self.info else ""
        self._media_lock = MediaLock(
            self.tag, local_rtp, parse_address(str(transport.localRtcpName)), signalled,
            parse_address(str(stream.remoteRtcpAddress)), source_ip,
        )
        self._media_lock.lock()

    def _on_dtmf_event(self, digit: str, timestamp_ms: int, duration_ms: int, flags: int
                       ) -> None:
        """An RFC 2833 packet's event (media thread): a digit only once it is a real press
        (``dtmf.py``); packets from anyone but the caller never get here (``medialock.py``)."""
        logger.debug("%s: DTMF event %r ts=%d dur=%d flags=%d", self.tag, digit, timestamp_ms,
                     duration_ms, flags)
        pressed = self._dtmf_gate.feed(digit, timestamp_ms, duration_ms, flags)
        if pressed is None:
            return
        self._on_dtmf(pressed)

    def _on_dtmf(self, digit: str) -> None:
        logger.info("%s: DTMF received", self.tag)
        self.listener.on_dtmf(self, digit)

    def _on_transfer_status(self, code: int, final: bool) -> None:
        logger.info("%s: transfer status %d%s", self.tag, code, " (final)" if final else "")
        if final or code >= 300:
            self.listener.on_transfer_result(self, 200 <= code < 300, code)

    def _on_transfer_request(self, prm: Any) -> None:
        if self.direction == "in":
            # A caller asking the agent to dial somewhere is toll fraud: the agent only
            # transfers by its own REFER, to its own allow-listed targets (the guard refuses
            # these REFERs earlier; this is the second line).
            prm.statusCode = 603
            logger.warning("%s: caller's REFER refused (603); nothing dialled", self.tag)
            return
        child = AgentCall(self.engine, direction="out", listener=self.listener)
        child.remote_uri = str(prm.dstUri)
        child.transferred_from = self
        prm.newCall = child._pj
        self.engine._adopt(child)
        logger.info("%s: following REFER", self.tag)

    def _rx_packet_count(self) -> int | None:
        """RTP packets received so far on the audio stream (None when there is no stream)."""
        if self._pj is None:
            return None
        try:
            stat = self._pj.getStreamStat(0)
        except pj.Error:
            return None
        return int(stat.rtcp.rxStat.pkt)

    def _pj_slot(self) -> tuple[int, int]:
        """(address of our pjsua2 Call, the pjsua slot id it acts on); (0, invalid) if none."""
        if self._pj is None:
            return 0, pj.PJSUA_INVALID_ID
        return int(self._pj.this), int(self._pj.getId())

    def _end_lost(self) -> None:
        """Report the end of a call pjsua stopped telling us about (see SipEngine._lose)."""
        self.state = "DISCONNECTED"
        self.ended_at = time.monotonic()
        self.end_code = 0
        self.end_reason = "Lost"
        self.ended_by_remote = False
        self.player.stop()
        self.listener.on_disconnected(self, self.end_code, self.end_reason, False)

    def _release(self) -> None:
        """Drop pjsua2 objects (engine thread, after the call is gone, before libDestroy).

        The media port is retired, not destroyed: the media thread may still be inside one of
        its callbacks, and tearing a SWIG director down under it crashes the process.
        """
        if self._port is not None:
            self._port.detach()
            self.engine._retire_port(self._port)
            self._port = None
        self._pj = None


def cfg_lock(call: AgentCall) -> bool:
    """True when this engine locks answered calls' media to the caller."""
    return bool(call.engine.config.media_lock)


def _add_headers(prm: Any, headers: dict[str, str] | None) -> None:
    for name, value in (headers or {}).items():
        header = pj.SipHeader()
        header.hName = name
        header.hValue = value
        prm.txOption.headers.append(header)
