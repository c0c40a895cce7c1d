"""Client of the host's recogniser service (server.py): one socket per call's stream.

``feed`` is called on the media path and never blocks: it appends to a bounded backlog (audio
beyond ``max_backlog_s`` drops the oldest chunk, counted) and a sender thread writes to the
socket, waiting whenever the service is behind (the socket buffer is full: back-pressure). A
reader thread delivers final results. When the service is gone (crash, restart, refused stream)
the stream reports ``on_error`` once and goes quiet; the call goes on without recognition.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ivr.media import asr
from ivr.media.asr_backends import wire

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 2.0
DEFAULT_MAX_BACKLOG_S = 5.0


class RecognizerUnavailable(ConnectionError):
    """The recogniser service could not be reached or dropped the stream."""


def _connect(path: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(CONNECT_TIMEOUT_S)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        raise
    sock.settimeout(None)
    return sock


def ping(socket_path: str | Path, timeout_s: float = CONNECT_TIMEOUT_S) -> bool:
    """True when the service at `socket_path` answers: its model is loaded (the service binds
    the socket only after loading it). False for no socket, a stale socket file of a dead
    service, a refused connection or no answer within `timeout_s`."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout_s)
    try:
        sock.connect(str(socket_path))
        sock.sendall(wire.pack(wire.PING))
        kind, _ = wire.read_message(sock)
        return kind == wire.READY
    except (OSError, wire.WireError):
        return False
    finally:
        sock.close()


class ServiceStream:
    """One call's stream to the service (satisfies ivr.ports.StreamingRecognizer)."""

    def __init__(self, socket_path: str, rate_hz: int, on_result: asr.ResultCallback,
                 on_error: asr.ErrorCallback | None, grammar: Sequence[str] | None,
                 max_backlog_s: float, label: str) -> None:
        if rate_hz not in asr.SUPPORTED_RATES_HZ:
            raise ValueError(f"rate_hz {rate_hz} not supported; allowed {asr.SUPPORTED_RATES_HZ}")
        self.rate_hz = rate_hz
        self.label = label
        self.dropped_chunks_count = 0
        self._path = socket_path
        self._on_result = on_result
        self._on_error = on_error
        self._max_backlog_bytes = max(1, int(max_backlog_s * rate_hz * 2))
        self._items: deque[bytes] = deque()  # framed messages, ready to send
        self._backlog_bytes = 0
        self._cond = threading.Condition()
        self._closed = False
        self._failed = False
        self._sock: socket.socket | None = None
        hello = {"rate_hz": rate_hz, "grammar": list(grammar) if grammar else None,
                 "label": label}
        self._hello = wire.pack_json(wire.HELLO, hello)
        self._sender = threading.Thread(target=self._send_loop, name=f"asr-send-{label}",
                                        daemon=True)
        self._sender.start()

    # ---- caller side: never blocks -------------------------------------------------------

    def feed(self, pcm: bytes) -> None:
        if not pcm:
            return
        self._put(wire.pack(wire.AUDIO, bytes(pcm)), audio=True)

    def end_segment(self) -> None:
        self._put(wire.pack(wire.END))

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        self._put(wire.pack_json(wire.GRAMMAR, list(phrases) if phrases else None))

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._items.clear()
            self._items.append(wire.pack(wire.CLOSE))
            self._cond.notify()
        if self.dropped_chunks_count:  # the service fell behind this call (bench/scale.py)
            log.warning("asr stream %s: %d audio chunks dropped (the service was behind)",
                        self.label, self.dropped_chunks_count)

    def _put(self, message: bytes, *, audio: bool = False) -> None:
        with self._cond:
            if self._closed or self._failed:
                return
            self._items.append(message)
            if audio:
                self._backlog_bytes += len(message) - wire.HEADER.size
                while self._backlog_bytes > self._max_backlog_bytes and self._drop_oldest():
                    pass
            self._cond.notify()

    def _drop_oldest(self) -> bool:
        for i, item in enumerate(self._items):
            if item[:1] == wire.AUDIO:
                del self._items[i]
                self._backlog_bytes -= len(item) - wire.HEADER.size
                self.dropped_chunks_count += 1
                return True
        return False

    # ---- threads ---------------------------------------------------------------------------

    def _send_loop(self) -> None:
        try:
            sock = _connect(self._path)
        except OSError as exc:
            self._fail(RecognizerUnavailable(f"recogniser service unreachable: {exc}"))
            return
        self._sock = sock
        try:
            sock.sendall(self._hello)
            kind, payload = wire.read_message(sock)
            if kind != wire.READY:
                raise RecognizerUnavailable(payload.decode(errors="replace") or "refused")
            threading.Thread(target=self._read_loop, args=(sock,), name=f"asr-recv-{self.label}",
                             daemon=True).start()
            while True:
                with self._cond:
                    while not self._items:
                        self._cond.wait()
                    message = self._items.popleft()
                    if message[:1] == wire.AUDIO:
                        self._backlog_bytes -= len(message) - wire.HEADER.size
                sock.sendall(message)  # blocks while the service is behind: back-pressure
                if message[:1] == wire.CLOSE:
                    return
        except (OSError, RecognizerUnavailable) as exc:
            self._fail(exc if isinstance(exc, RecognizerUnavailable)
                       else RecognizerUnavailable(f"recogniser service lost: {exc}"))
        finally:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _read_loop(self, sock: socket.socket) -> None:
        try:
            while True:
                kind, payload = wire.read_message(sock)
                if kind == wire.RESULT:
                    result = asr.result_from_dict(json.loads(payload))
                    with self._cond:
                        if self._closed:
                            return
                    try:
                        self._on_result(result)
                    except Exception:
                        log.exception("asr stream %s: result callback raised", self.label)
                elif kind == wire.ERROR:
                    raise RecognizerUnavailable(payload.decode(errors="replace"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            with self._cond:
                if self._closed:
                    return  # our own close ended the stream
            self._fail(exc if isinstance(exc, RecognizerUnavailable)
                       else RecognizerUnavailable(f"recogniser service lost: {exc}"))

    def _fail(self, exc: BaseException) -> None:
        with self._cond:
            if self._failed or self._closed:
                return
            self._failed = True
            self._items.clear()
            self._items.append(wire.pack(wire.CLOSE))  # wakes the sender if it waits
            self._cond.notify()
        log.warning("asr stream %s: %s; the call goes on without recognition", self.label, exc)
        if self._on_error is not None:
            try:
                self._on_error(exc)
            except Exception:
                log.exception("asr stream %s: error callback raised", self.label)


class ServiceBackend:
    """Opens streams on the recogniser service at ``socket_path`` (a RecognizerBackend)."""

    lexicon = None  # the model lives in the service; it checks grammars itself

    def __init__(self, socket_path: Path | str,
                 max_backlog_s: float = DEFAULT_MAX_BACKLOG_S) -> None:
        self.socket_path = str(socket_path)
        self.max_backlog_s = max_backlog_s
        self._opened = 0
        self._lock = threading.Lock()

    def open(self, rate_hz: int, on_result: asr.ResultCallback, *,
             on_partial: asr.ResultCallback | None = None,
             on_error: asr.ErrorCallback | None = None,
             grammar: Sequence[str] | None = None, label: str = "") -> ServiceStream:
        """A stream for one call; partials are not sent over the wire (the policy ignores
        them), so ``on_partial`` is accepted and never called."""
        with self._lock:
            self._opened += 1
            number = self._opened
        return ServiceStream(self.socket_path, rate_hz, on_result, on_error, grammar,
                             self.max_backlog_s, label or f"stream-{number}")

    def transcribe(self, path: Path | str, done: Any) -> None:
        """Ask the service to transcribe a recording in its background queue; ``done(result)``
        (None on failure) runs on a thread of ours when the service answers."""

        def job() -> None:
            result: asr.SegmentResult | None = None
            try:
                with _connect(self.socket_path) as sock:
                    sock.sendall(wire.pack_json(wire.HELLO, {"mode": "transcribe",
                                                             "path": str(path)}))
                    kind, payload = wire.read_message(sock)
                    if kind == wire.RESULT:
                        result = asr.result_from_dict(json.loads(payload))
                    else:
                        log.warning("background transcription refused: %s",
                                    payload.decode(errors="replace"))
            except (OSError, ValueError) as exc:
                log.warning("background transcription: service unavailable (%s)", exc)
            try:
                done(result)
            except Exception:
                log.exception("background transcription callback failed")

        threading.Thread(target=job, name="asr-transcribe", daemon=True).start()

    def close(self, timeout_s: float = 5.0) -> None:
        """Nothing to release: each stream owns its socket."""
