"""A PJSIP module, registered through ctypes, that refuses SUBSCRIBE, PUBLISH, MESSAGE and
malformed requests before pjsua sees them.

pjsua accepts presence SUBSCRIBEs (200 + NOTIFY) and answers MESSAGE with 200 whatever the
application says, and PJSIP 2.15.1 has a use-after-free on SUBSCRIBE with Expires: 0 (fixed in
2.17). pjsua2 has no switch for that, so we put our own module in front of the dialog layer and
pjsua's presence/IM modules: these methods get a stateless 489 (SUBSCRIBE) or 405 (PUBLISH,
MESSAGE) before any dialog or subscription is created. Our REFERs' NOTIFYs are untouched.

It also runs :func:`ivr.sip.validate.check_request` on each request's raw bytes (PJSIP accepts,
and pjsua answers 200 to, several messages RFC 4475 says must be rejected). The raw bytes are
read from ``pjsip_rx_data.pkt_info.packet`` at a layout offset checked at run time: if the check
ever fails the strict validation switches itself off with a warning rather than misread memory.
"""

from __future__ import annotations

import ctypes
import ipaddress
import logging
import time
from collections.abc import Callable

from ivr.sip.logsafe import LogLimiter, wire_text
from ivr.sip.shield import Shield
from ivr.sip.validate import check_request, message_body, split_head

logger = logging.getLogger(__name__)

# Between the transaction layer (16) and the UA/dialog layer (32): sees every new request before
# any dialog, presence or IM code does.
GUARD_PRIORITY = 24
REJECTED_METHODS: dict[bytes, int] = {b"SUBSCRIBE": 489, b"PUBLISH": 405, b"MESSAGE": 405}

# pjsip_rx_data layout on x86-64 Linux for this wheel (PJSIP 2.15.1, PJSIP_MAX_PKT_LEN 4000),
# measured: pkt_info.packet (char[4000]) at 320, pkt_info.len (pj_ssize_t) at 4328,
# msg_info.msg_buf (char *, the current message: a TCP read may hold several) at 4424 and
# msg_info.len (int) at 4432. Between them: pkt_info.src_addr (pj_sockaddr, 28 bytes) at 4336,
# src_addr_len at 4364, src_name (char[46], the sender's IP as text) at 4368 and src_port at
# 4416. Every read is checked against the others before use.
PACKET_OFFSET = 320
PACKET_MAX_LEN = 4000
PACKET_LEN_OFFSET = 4328
SRC_NAME_OFFSET = 4368
SRC_NAME_LEN = 46
SRC_PORT_OFFSET = 4416
MSG_BUF_OFFSET = 4424
MSG_LEN_OFFSET = 4432

_RX_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_NOARG_CB = ctypes.CFUNCTYPE(ctypes.c_int)


class _PjStr(ctypes.Structure):
    _fields_ = (("ptr", ctypes.c_char_p), ("slen", ctypes.c_ssize_t))


class _PjsipModule(ctypes.Structure):
    # struct pjsip_module (pjsip/sip_module.h): list links, name, id, priority, 4 lifecycle
    # callbacks, then on_rx_request, on_rx_response, on_tx_request, on_tx_response, on_tsx_state.
    _fields_ = (
        ("prev", ctypes.c_void_p),
        ("next", ctypes.c_void_p),
        ("name", _PjStr),
        ("id", ctypes.c_int),
        ("priority", ctypes.c_int),
        ("load", ctypes.c_void_p),
        ("start", ctypes.c_void_p),
        ("stop", ctypes.c_void_p),
        ("unload", ctypes.c_void_p),
        ("on_rx_request", _RX_CB),
        ("on_rx_response", ctypes.c_void_p),
        ("on_tx_request", ctypes.c_void_p),
        ("on_tx_response", ctypes.c_void_p),
        ("on_tsx_state", ctypes.c_void_p),
    )


def to_tag_present(raw: bytes) -> bool:
    """Whether the request's To header (long or compact form) carries a tag."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() in (b"to", b"t"):
            return b";tag=" in value.replace(b" ", b"").lower()
    return False


def request_method(info: bytes) -> bytes:
    """Method from pjsip_rx_data_get_info() text: b"Request msg SUBSCRIBE/cseq=1 (rdata..)"."""
    prefix = b"Request msg "
    if not info.startswith(prefix):
        return b""
    return info[len(prefix) :].split(b"/", 1)[0].upper()


class MethodGuard:
    """Owns the module struct and callback; keep the instance alive until the library is gone."""

    def __init__(self, lib: ctypes.CDLL, shield: Shield | None = None) -> None:
        self._lib = lib
        self.shield = shield or Shield()
        self._limiter = LogLimiter(time.monotonic)
        self.on_request: Callable[[tuple[str, int]], None] | None = None
        lib.pjsua_get_pjsip_endpt.restype = ctypes.c_void_p
        lib.pjsip_rx_data_get_info.restype = ctypes.c_char_p
        lib.pjsip_rx_data_get_info.argtypes = (ctypes.c_void_p,)
        lib.pjsip_endpt_respond_stateless.restype = ctypes.c_int
        lib.pjsip_endpt_respond_stateless.argtypes = (
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_void_p,
        )
        lib.pjsip_endpt_register_module.restype = ctypes.c_int
        lib.pjsip_endpt_register_module.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
        self._name = ctypes.create_string_buffer(b"mod-ivr-guard")
        self._callback = _RX_CB(self._on_rx_request)
        self._module = _PjsipModule()
        self._module.name = _PjStr(ctypes.cast(self._name, ctypes.c_char_p), 13)
        self._module.id = -1
        self._module.priority = GUARD_PRIORITY
        self._module.on_rx_request = self._callback
        self._endpt: int | None = None
        self.rejected_count = 0
        self.strict = True
        # Set by the engine: pjsua answers an INVITE beyond its call slots with 486 itself,
        # before any callback, so nobody would count or log it; we answer it here instead.
        self.calls_full: Callable[[], bool] | None = None
        self.on_busy: Callable[[], None] | None = None

    def register(self) -> None:
        """Register with the pjsua endpoint; call on the pjsua thread after libInit."""
        self._endpt = self._lib.pjsua_get_pjsip_endpt()
        status = self._lib.pjsip_endpt_register_module(self._endpt, ctypes.byref(self._module))
        if status != 0:
            raise RuntimeError(f"pjsip_endpt_register_module failed with status {status}")
        logger.info(
            "SIP guard on: %s refused before the dialog layer",
            ", ".join(m.decode() for m in REJECTED_METHODS),
        )

    def _on_rx_request(self, rdata: int) -> int:
        try:
            info = self._lib.pjsip_rx_data_get_info(rdata) or b""
            method = request_method(info)
            if self.on_request is not None:
                self.on_request(self.source(rdata))
            code = REJECTED_METHODS.get(method)
            reason = ""
            if code is None and self.strict and method:
                raw = self._raw_packet(rdata, method)
                verdict = check_request(raw)
                if verdict is None and raw:
                    verdict = self._check_state(rdata, method, raw)
                if verdict is None:
                    return self._refuse_if_full(rdata, method, raw)
                code, reason = verdict
            if code is None:
                return 0
            self.rejected_count += 1
            shown = wire_text(reason, 80)
            if method == b"ACK":  # never answer an ACK; just drop the bad one
                self._log("dropped malformed ACK (%s)", rdata, shown)
                return 1
            text = reason.encode("ascii", "replace")
            pj_reason = _PjStr(text, len(text)) if text else None
            self._lib.pjsip_endpt_respond_stateless(
                self._endpt, rdata, code, ctypes.byref(pj_reason) if pj_reason else None,
                None, None,
            )
            self._log("refused %s with %d %s", rdata,
                      wire_text(method.decode(errors="replace"), 20), code, shown)
            return 1
        except Exception:  # a ctypes callback must never raise into C
            logger.exception("SIP guard failed; letting the request through")
            return 0

    def _refuse_if_full(self, rdata: int, method: bytes, raw: bytes) -> int:
        """486 to a new INVITE when every call slot is taken (counted, logged); else pass."""
        if method != b"INVITE" or not raw or self.calls_full is None or not self.calls_full():
            return 0
        if to_tag_present(raw):
            return 0  # a re-INVITE inside a call we hold
        text = b"Busy Here"
        self._lib.pjsip_endpt_respond_stateless(
            self._endpt, rdata, 486, ctypes.byref(_PjStr(text, len(text))), None, None,
        )
        self._log("refused INVITE with 486: every call slot is busy", rdata)
        if self.on_busy is not None:
            self.on_busy()
        return 1

    def _log(self, message: str, rdata: int, *args: object) -> None:
        """One refusal line, within the sender's log budget."""
        source, _ = self.source(rdata)
        allowed, dropped = self._limiter.allow(source)
        if allowed:
            suffix = f" from {source}" + (f" ({dropped} more suppressed)" if dropped else "")
            logger.info(message + "%s", *args, suffix)

    def _check_state(self, rdata: int, method: bytes, raw: bytes) -> tuple[int, str] | None:
        """The shield's verdict on a request that is well formed on its own."""
        parts = split_head(raw)
        if parts is None:
            return None
        headers: dict[str, str] = {}
        for name, value in parts[1]:
            headers.setdefault(name, value)
        vias = [value for name, value in parts[1] if name == "via"]
        body = message_body(raw, headers.get("content-length"))
        source_ip, _ = self.source(rdata)
        return self.shield.check(method.decode("ascii", "replace"), headers, body, source_ip,
                                 time.monotonic(), vias)

    @staticmethod
    def source(rdata: int) -> tuple[str, int]:
        """The sender's (IP, port) as PJSIP received it; ("", 0) when unreadable."""
        name = ctypes.string_at(rdata + SRC_NAME_OFFSET, SRC_NAME_LEN).split(b"\0", 1)[0]
        port = ctypes.c_int.from_address(rdata + SRC_PORT_OFFSET).value
        try:
            ip = str(ipaddress.ip_address(name.decode("ascii")))
        except (UnicodeDecodeError, ValueError):
            return "", 0
        return ip, port if 0 < port <= 65535 else 0

    def _raw_packet(self, rdata: int, method: bytes) -> bytes:
        """The request's bytes, or b"" (and strict mode off) when the layout check fails."""
        packet = rdata + PACKET_OFFSET
        size = ctypes.c_ssize_t.from_address(rdata + PACKET_LEN_OFFSET).value
        start = ctypes.c_void_p.from_address(rdata + MSG_BUF_OFFSET).value or 0
        length = ctypes.c_int.from_address(rdata + MSG_LEN_OFFSET).value
        offset = start - packet
        if 0 < size <= PACKET_MAX_LEN and 0 <= offset < size:
            if not 0 < length <= size - offset:
                length = size - offset
            raw = ctypes.string_at(start, length)
            if raw.upper().startswith(method):
                return raw
        self.strict = False
        logger.warning("pjsip_rx_data layout differs from this build's; strict request "
                       "validation is off")
        return b""
