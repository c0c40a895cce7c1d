"""Full-vocabulary transcription of recordings after the call, never competing with live calls.

One thread, at the lowest CPU priority (Linux niceness 19 for that thread alone), takes jobs
from a bounded queue in order. Live recognition (grammar mode, the caller waiting) runs on the
other threads at normal priority, so on a busy host this thread only gets idle cycles; its
backlog grows instead of a caller's latency. A job that does not fit in the queue is refused
(``submit`` returns False) and the caller of ``submit`` keeps the recording for later.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.media import asr

log = logging.getLogger(__name__)

TRANSCRIBE_RATE_HZ = 16000  # the vosk models' native rate: resample once, decode at full quality
LOWEST_PRIORITY_NICE = 19
DEFAULT_QUEUE_COUNT = 256

TranscriptCallback = Callable[[asr.SegmentResult | None], None]


def transcribe_file(model: Any, path: Path | str) -> asr.SegmentResult:
    """Decode a WAV file whole, full vocabulary (what `ivr models transcribe` prints)."""
    from ivr.media.fast_resample import resample_fast as resample
    from ivr.media.wavio import read_wav

    audio = read_wav(Path(path))
    pcm = resample(audio.samples, audio.rate_hz, TRANSCRIBE_RATE_HZ)
    return asr.recognize_pcm(model, pcm.astype("<i2").tobytes(), TRANSCRIBE_RATE_HZ)


def lower_this_thread_priority(nice: int = LOWEST_PRIORITY_NICE) -> bool:
    """Give the calling thread (not the process) the lowest CPU priority; False if refused."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (OSError, AttributeError) as exc:
        log.warning("background transcription: cannot lower thread priority (%s)", exc)
        return False
    return True


@dataclass
class _Job:
    path: str
    done: TranscriptCallback


class BackgroundTranscriber:
    """A queue of recordings to transcribe on one lowest-priority thread."""

    def __init__(self, model: Any, max_queue_count: int = DEFAULT_QUEUE_COUNT) -> None:
        self.model = model
        self.done_count = 0
        self.failed_count = 0
        self._jobs: queue.Queue[_Job | None] = queue.Queue(max_queue_count)
        self._thread = threading.Thread(target=self._run, name="asr-background", daemon=True)
        self._thread.start()

    @property
    def backlog_count(self) -> int:
        return self._jobs.qsize()

    def submit(self, path: Path | str, done: TranscriptCallback) -> bool:
        """Queue ``path``; ``done(result)`` (None on failure) runs on the background thread."""
        try:
            self._jobs.put_nowait(_Job(str(path), done))
        except queue.Full:
            log.warning("background transcription queue full (%d); recording left untranscribed",
                        self._jobs.maxsize)
            return False
        return True

    def close(self, timeout_s: float = 5.0) -> None:
        try:
            self._jobs.put(None, timeout=timeout_s)
        except queue.Full:
            return
        self._thread.join(timeout_s)

    def _run(self) -> None:
        lower_this_thread_priority()
        while True:
            job = self._jobs.get()
            if job is None:
                return
            result: asr.SegmentResult | None
            try:
                result = transcribe_file(self.model, job.path)
                self.done_count += 1
            except Exception:  # a bad file must not stop the queue
                log.exception("background transcription of a recording failed")
                self.failed_count += 1
                result = None
            try:
                job.done(result)
            except Exception:
                log.exception("background transcription callback failed")
