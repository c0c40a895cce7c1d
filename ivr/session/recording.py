"""The caller's audio kept while the policy records (a complaint), written as WAV files."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ivr.media.wavio import write_wav
from ivr.session.timing import FRAME_MS

log = logging.getLogger(__name__)


class CallRecorder:
    """Collects frames between StartRecording and StopRecording; remembers every file written."""

    def __init__(self, call_id: str, directory: Path, rate_hz: int) -> None:
        self.call_id = call_id
        self.directory = directory
        self.rate_hz = rate_hz
        self.paths: list[str] = []
        self._frames: list[np.ndarray] | None = None
        self._purpose = ""
        self._max_frames = 0

    @property
    def active(self) -> bool:
        return self._frames is not None

    def start(self, purpose: str, max_s: float) -> None:
        self._frames = []
        self._purpose = purpose
        self._max_frames = max(1, round(max_s * 1000 / FRAME_MS))

    def push(self, frame: np.ndarray) -> bool:
        """Keep one frame; True when the recording has reached its length limit."""
        if self._frames is None:
            return False
        self._frames.append(frame)
        return len(self._frames) >= self._max_frames

    def stop(self) -> tuple[str, float] | None:
        """Write the recording; (path or "" if it could not be written, duration), or None."""
        frames, self._frames = self._frames, None
        if frames is None:
            return None
        samples = np.concatenate(frames) if frames else np.zeros(0, dtype=np.int16)
        self.directory.mkdir(parents=True, exist_ok=True)
        index = len(self.paths) + 1
        path = self.directory / f"{self.call_id}-{self._purpose}-{index}.wav"
        try:
            write_wav(path, samples, self.rate_hz)
        except OSError as exc:
            log.error("call %s: recording not saved (%s)", self.call_id, exc)
            path_text = ""
        else:
            path_text = str(path)
            self.paths.append(path_text)
        return path_text, len(samples) / self.rate_hz

    def stop_quietly(self) -> None:
        """At the end of a call: keep what was recorded as a partial file, tell no one."""
        frames, self._frames = self._frames, None
        if frames:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / f"{self.call_id}-{self._purpose}-partial.wav"
            try:
                write_wav(path, np.concatenate(frames), self.rate_hz)
                self.paths.append(str(path))
            except OSError as exc:
                log.error("call %s: partial recording not saved (%s)", self.call_id, exc)
