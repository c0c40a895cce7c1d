"""Answer 513 Message Too Large to SIP requests PJSIP cannot read (over 4,000 bytes, UDP).

PJSIP reads a datagram into a buffer of ``PJSIP_MAX_PKT_LEN`` (4,000 bytes, compiled into the
pjsua2-python wheel) and drops a longer one before any module sees it: a legitimate INVITE that
offers many codecs was lost, and its sender retransmitted into silence. The limit can't be
raised, so the longer datagrams are taken away from PJSIP in the kernel: PJSIP's UDP socket is
created with SO_REUSEPORT, a socket of ours joins the same port, and a classic BPF program on
the group (SO_ATTACH_REUSEPORT_CBPF) sends a datagram to ours when its payload is longer than
4,000 bytes and to PJSIP's otherwise. Ours answers a request with 513 (RFC 3261 21.5.14; the
sender may retry over TCP or trim its offer) and ignores responses, ACKs and junk. Answers are
rate-limited per source; what is logged from the wire goes through ``logsafe``.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

from ivr.sip.bpf import JGT_K, LD_W_LEN, RET_K, SO_ATTACH_REUSEPORT_CBPF, Program, set_program
from ivr.sip.logsafe import LogLimiter, wire_text

logger = logging.getLogger(__name__)

OVERSIZE_BYTES = 4000  # PJSIP_MAX_PKT_LEN in the wheel
ANSWER_BURST_COUNT = 5  # answers per source at once, then one per ANSWER_REFILL_S
ANSWER_REFILL_S = 0.2
_COMPACT = {"v": "via", "i": "call-id", "f": "from", "t": "to"}
_COPIED = ("via", "from", "to", "call-id", "cseq")


def steer_program(limit: int = OVERSIZE_BYTES) -> Program:
    """Reuseport BPF: group index 1 (ours) for a payload over ``limit``, else 0 (PJSIP's)."""
    return [(LD_W_LEN, 0, 0, 0), (JGT_K, 0, 1, limit), (RET_K, 0, 0, 1), (RET_K, 0, 0, 0)]


def response_513(datagram: bytes, server: str) -> bytes | None:
    """The 513 answer to a request, or None (a response, an ACK, junk, no Via/CSeq)."""
    head = datagram.split(b"\r\n\r\n", 1)[0].decode("utf-8", errors="replace")
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[2] != "SIP/2.0" or parts[0] == "ACK" or not parts[0].isalpha():
        return None
    copied: dict[str, list[str]] = {name: [] for name in _COPIED}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        key = _COMPACT.get(name.strip().lower(), name.strip().lower())
        if sep and key in copied and "\x00" not in value:
            copied[key].append(value.strip())
    if not copied["via"] or not copied["cseq"] or not copied["call-id"]:
        return None
    to = copied["to"][0] if copied["to"] else ""
    if to and ";tag=" not in to.replace(" ", ""):
        to += f";tag=ivr513{int(time.monotonic() * 1000) % 100000}"
    out = ["SIP/2.0 513 Message Too Large"]
    out += [f"Via: {via}" for via in copied["via"]]
    out += [f"From: {copied['from'][0]}"] if copied["from"] else []
    out += [f"To: {to}"] if to else []
    out += [f"Call-ID: {copied['call-id'][0]}", f"CSeq: {copied['cseq'][0]}",
            f"Server: {server}", "Content-Length: 0"]
    return ("\r\n".join(out) + "\r\n\r\n").encode("utf-8", errors="replace")


def reuseport_option() -> tuple[int, int]:
    """(level, name) of the socket option PJSIP's UDP socket needs before it binds."""
    return socket.SOL_SOCKET, socket.SO_REUSEPORT


class OversizeResponder:
    """Our member of the UDP port's reuseport group; a daemon thread answers 513."""

    def __init__(self, bind_address: str, port: int, server: str) -> None:
        family = socket.AF_INET6 if ":" in bind_address else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self._sock.bind((bind_address, port))
        set_program(self._sock, SO_ATTACH_REUSEPORT_CBPF, steer_program())
        self._sock.settimeout(0.5)
        self.server = server
        self.answered = 0
        self._answers = LogLimiter(time.monotonic, burst=ANSWER_BURST_COUNT,
                                   refill_s=ANSWER_REFILL_S)  # per source
        self._log = LogLimiter(time.monotonic)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sip-oversize", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                datagram, peer = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            answer = response_513(datagram, self.server)
            source = str(peer[0])
            if answer is None or not self._answers.allow(source)[0]:
                continue
            try:
                self._sock.sendto(answer, peer)
            except OSError:
                continue
            self.answered += 1
            if self._log.allow(source)[0]:
                logger.warning("SIP request of %d bytes from %s answered 513 (PJSIP reads at "
                               "most %d): %s", len(datagram), wire_text(source), OVERSIZE_BYTES,
                               wire_text(datagram.split(b"\r\n", 1)[0].decode(errors="replace")))

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(2.0)
