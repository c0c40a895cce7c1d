"""In-process backend: this process loads the model and decodes on its own thread pool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ivr.media.asr import RecognizerPool, load_model
from ivr.media.asr_backends.background import BackgroundTranscriber, TranscriptCallback


class InProcessBackend(RecognizerPool):
    """A RecognizerPool plus the post-call transcription queue (one lowest-priority thread)."""

    def __init__(self, model: Any, workers_count: int) -> None:
        super().__init__(model, workers_count)
        self._background: BackgroundTranscriber | None = None

    def transcribe(self, path: Path | str, done: TranscriptCallback) -> None:
        if self._background is None:
            self._background = BackgroundTranscriber(self.model)
        if not self._background.submit(path, done):
            done(None)

    def close(self, timeout_s: float = 5.0) -> None:
        super().close(timeout_s)
        if self._background is not None:
            self._background.close(timeout_s)


def inprocess_backend(model_dir: Path, workers_count: int) -> InProcessBackend:
    """An in-process backend over the model at ``model_dir`` (seconds: it loads the model)."""
    return InProcessBackend(load_model(model_dir), workers_count)
