"""The recogniser backend interface the agent and the call sessions see."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ivr.media.asr import ErrorCallback, ResultCallback


class RecognizerBackend(Protocol):
    """Opens one streaming recogniser per call; shared by every call of a process.

    The stream it returns has ``feed`` / ``end_segment`` / ``set_grammar`` / ``close`` (never
    blocking the caller's thread, see ivr.ports.StreamingRecognizer). A backend failure during
    a call (decoder crash, service gone) is reported once through ``on_error``; the stream is
    dead afterwards and the call goes on without recognition.
    """

    lexicon: Any  # ivr.media.lexicon.Lexicon, or None when the model is in another process

    def open(self, rate_hz: int, on_result: ResultCallback, *,
             on_partial: ResultCallback | None = None, on_error: ErrorCallback | None = None,
             grammar: Sequence[str] | None = None, label: str = "") -> Any: ...

    def close(self, timeout_s: float = 5.0) -> None: ...


def open_backend(*, service_socket: str = "", model_dir: Path | None = None,
                 workers_count: int = 2) -> RecognizerBackend:
    """The service client when ``service_socket`` is set, else an in-process pool on
    ``model_dir`` (seconds: it loads the model)."""
    if service_socket:
        from ivr.media.asr_backends.service import ServiceBackend

        return ServiceBackend(service_socket)
    if model_dir is None:
        raise ValueError("an in-process recogniser needs a model directory")
    from ivr.media.asr_backends.inprocess import inprocess_backend

    return inprocess_backend(model_dir, workers_count)
