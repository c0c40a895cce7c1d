"""The recogniser service: one process per host holding the speech model for every worker.

Memory is the reason (issue 16): a vosk model costs each process that loads it ~200 MiB, so
25 workers with their own copy need ~5 GB; one service needs one copy. Each client stream gets
its own thread that reads the socket and decodes (vosk releases the GIL in its C calls, so the
streams decode in parallel). Back-pressure is the socket itself: the thread reads the next
chunk only after decoding the last, the kernel's socket buffer fills, and the client's sender
waits while its own bounded backlog drops the oldest audio (ivr.media.asr_backends.service).
Streams beyond ``max_streams`` are refused with an ERROR message, never queued without bound.

Recordings (TRANSCRIBE) go to one lowest-priority thread (background.py), after the call.

Run: ``python -m ivr.media.asr_backends.server --model DIR --socket PATH`` (``ivr serve
--workers N`` starts it for the host when a model is configured).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from ivr.media import asr
from ivr.media.asr_backends import wire
from ivr.media.asr_backends.background import BackgroundTranscriber

log = logging.getLogger(__name__)

DEFAULT_MAX_STREAMS_COUNT = 128
LISTEN_BACKLOG_COUNT = 64
TRANSCRIBE_MODE = "transcribe"


class RecognizerService:
    """Accepts streams on a Unix socket; a thread per stream over one shared model."""

    def __init__(self, model: Any, socket_path: Path | str, *,
                 max_streams_count: int = DEFAULT_MAX_STREAMS_COUNT) -> None:
        if max_streams_count < 1:
            raise ValueError(f"max_streams_count must be >= 1, got {max_streams_count}")
        self.model = model
        self.lexicon = asr.model_lexicon(model)
        self.socket_path = Path(socket_path)
        self.max_streams_count = max_streams_count
        self.background = BackgroundTranscriber(model)
        self.streams_total = 0
        self.refused_total = 0
        self._active = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def active_streams_count(self) -> int:
        with self._lock:
            return self._active

    def start(self) -> RecognizerService:
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()  # a stale socket of a crashed service
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.socket_path))
        os.chmod(self.socket_path, 0o600)  # callers' speech: only this user's workers
        listener.listen(LISTEN_BACKLOG_COUNT)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop, name="asr-service-accept",
                                        daemon=True)
        self._thread.start()
        log.info("recogniser service on %s (at most %d streams)", self.socket_path,
                 self.max_streams_count)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        self.background.close()

    def __enter__(self) -> RecognizerService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed: stopping
            threading.Thread(target=self._serve, args=(conn,), name="asr-stream",
                             daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                kind, payload = wire.read_message(conn)
                if kind == wire.PING:  # the socket is bound only after the model loaded
                    conn.sendall(wire.pack(wire.READY))
                    return
                if kind != wire.HELLO:
                    raise wire.WireError(f"expected HELLO, got {kind!r}")
                hello = json.loads(payload)
                if hello.get("mode") == TRANSCRIBE_MODE:
                    self._transcribe(conn, str(hello["path"]))
                    return
                if not self._admit():
                    conn.sendall(wire.pack(wire.ERROR, b"busy: stream limit reached"))
                    return
                try:
                    self._stream(conn, hello)
                finally:
                    with self._lock:
                        self._active -= 1
            except (wire.WireError, OSError):
                return  # the worker went away (call ended or worker died): nothing to answer
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("asr service: bad request: %s", exc)
                with contextlib.suppress(OSError):
                    conn.sendall(wire.pack(wire.ERROR, f"bad request: {exc}".encode()))
            except Exception as exc:  # a decoder failure ends this stream only
                log.exception("asr service: stream failed")
                with contextlib.suppress(OSError):
                    conn.sendall(wire.pack(wire.ERROR, f"{type(exc).__name__}".encode()))

    def _admit(self) -> bool:
        with self._lock:
            if self._active >= self.max_streams_count:
                self.refused_total += 1
                return False
            self._active += 1
            self.streams_total += 1
            return True

    def _grammar(self, phrases: Any) -> list[str] | None:
        if not phrases:
            return None
        return asr.checked_grammar(self.lexicon, [str(p) for p in phrases])

    def _stream(self, conn: socket.socket, hello: dict[str, Any]) -> None:
        decoder = asr.StreamDecoder(self.model, int(hello["rate_hz"]),
                                    self._grammar(hello.get("grammar")))
        conn.sendall(wire.pack(wire.READY))
        # segments and audio seconds decoded in full vocabulary and with a grammar: the cost
        # differs ~40x (issue 16), so the log says which one a stream used
        counts = {"full vocabulary": [0, 0.0], "grammar": [0, 0.0]}
        try:
            while True:
                kind, payload = wire.read_message(conn)
                if kind == wire.AUDIO:
                    decoder.accept(payload)
                elif kind == wire.END:
                    mode = "full vocabulary" if decoder.grammar is None else "grammar"
                    result = decoder.finish_segment()
                    counts[mode][0] += 1
                    counts[mode][1] += result.audio_s
                    conn.sendall(wire.pack_json(wire.RESULT, asr.result_to_dict(result)))
                elif kind == wire.GRAMMAR:
                    decoder.set_grammar(self._grammar(json.loads(payload)))
                elif kind == wire.CLOSE:
                    return
                else:
                    raise ValueError(f"unknown message kind {kind!r}")
        finally:
            log.info("asr stream closed: %s", ", ".join(
                f"{name} {n} segments {s:.1f} s" for name, (n, s) in counts.items()))

    def _transcribe(self, conn: socket.socket, path: str) -> None:
        done = threading.Event()
        holder: list[asr.SegmentResult | None] = []

        def finished(result: asr.SegmentResult | None) -> None:
            holder.append(result)
            done.set()

        if not self.background.submit(path, finished):
            conn.sendall(wire.pack(wire.ERROR, b"busy: transcription queue full"))
            return
        done.wait()
        result = holder[0]
        if result is None:
            conn.sendall(wire.pack(wire.ERROR, b"transcription failed"))
        else:
            conn.sendall(wire.pack_json(wire.RESULT, asr.result_to_dict(result)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ivr-asr-service", description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="vosk model directory")
    parser.add_argument("--socket", required=True, help="Unix socket path to listen on")
    parser.add_argument("--max-streams", type=int, default=DEFAULT_MAX_STREAMS_COUNT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s asr-service %(message)s")
    model_dir = Path(args.model)
    if not model_dir.is_dir():
        print(f"asr service: --model {model_dir}: not a directory", file=sys.stderr)
        return 2
    service = RecognizerService(asr.load_model(model_dir), args.socket,
                                max_streams_count=args.max_streams)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with service:
        print(f"ready {service.socket_path}", flush=True)
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
