"""The caller's audio kept while the policy records (a complaint), written as WAV files.

From the first recording until the call ends the recorder holds an flock on
`<recordings>/<call id>.live`: the register (TicketService.adopt_orphan_recordings) knows by it
that the call is still going on; a killed agent's lock is freed by the kernel, and its
recordings of unconfirmed complaints become tickets at the next start.
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path
from typing import IO

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
        self._live: IO[str] | None = None

    @property
    def active(self) -> bool:
        return self._frames is not None

    def start(self, purpose: str, max_s: float) -> None:
        self._hold_live_lock()
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

    def _hold_live_lock(self) -> None:
        if self._live is not None:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fh = open(self.directory / f"{self.call_id}{LIVE_SUFFIX}", "a+")
        except OSError as exc:
            log.warning("call %s: no live marker for its recordings (%s)", self.call_id, exc)
            return
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            log.warning("call %s: live marker already locked (%s)", self.call_id, exc)
            fh.close()
            return
        self._live = fh

    def close(self) -> None:
        """At the end of the call (after its record is handed over): no longer live."""
        fh, self._live = self._live, None
        if fh is None:
            return
        try:
            (self.directory / f"{self.call_id}{LIVE_SUFFIX}").unlink(missing_ok=True)
        except OSError as exc:
            log.warning("call %s: live marker not removed (%s)", self.call_id, exc)
        fh.close()  # releases the flock


LIVE_SUFFIX = ".live"
