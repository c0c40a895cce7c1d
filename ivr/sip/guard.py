"""A PJSIP module, registered through ctypes, that refuses SUBSCRIBE, PUBLISH and MESSAGE.

pjsua accepts presence SUBSCRIBEs (200 + NOTIFY) and answers MESSAGE with 200 whatever the
application says, and PJSIP 2.15.1 has a use-after-free on SUBSCRIBE with Expires: 0 (fixed in
2.17). pjsua2 has no switch for that, so we put our own module in front of the dialog layer and
pjsua's presence/IM modules: these methods get a stateless 489 (SUBSCRIBE) or 405 (PUBLISH,
MESSAGE) before any dialog or subscription is created. Our REFERs' NOTIFYs are untouched.
"""

from __future__ import annotations

import ctypes
import logging

logger = logging.getLogger(__name__)

# Between the transaction layer (16) and the UA/dialog layer (32): sees every new request before
# any dialog, presence or IM code does.
GUARD_PRIORITY = 24
REJECTED_METHODS: dict[bytes, int] = {b"SUBSCRIBE": 489, b"PUBLISH": 405, b"MESSAGE": 405}

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


def request_method(info: bytes) -> bytes:
    """Method from pjsip_rx_data_get_info() text: b"Request msg SUBSCRIBE/cseq=1 (rdata..)"."""
    prefix = b"Request msg "
    if not info.startswith(prefix):
        return b""
    return info[len(prefix) :].split(b"/", 1)[0].upper()


class MethodGuard:
    """Owns the module struct and callback; keep the instance alive until the library is gone."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self._lib = lib
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
            code = REJECTED_METHODS.get(request_method(info))
            if code is None:
                return 0
            self._lib.pjsip_endpt_respond_stateless(self._endpt, rdata, code, None, None, None)
            self.rejected_count += 1
            logger.info("refused %s with %d", request_method(info).decode(), code)
            return 1
        except Exception:  # a ctypes callback must never raise into C
            logger.exception("SIP guard failed; letting the request through")
            return 0
