"""Speech segments from per-frame VAD decisions, in frame time (no clocks).

A segment starts after ``onset_ms`` of consecutive speech frames (a click does not start one) and
ends when no speech frame has been seen for ``vad_hangover_ms``.  Times are counted in frames, so
``SpeechStart.t_s`` is the start of the first speech frame and ``SpeechEnd.t_s`` the end of the
last speech frame; ``duration_s`` is the distance between them.  While a segment is open, the
segment's frames plus a pre-roll of ``preroll_ms`` are kept so the recogniser is fed speech only.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from ivr.media.frames import as_int16
from ivr.media.monitor import LineMonitor, LineThresholds
from ivr.media.vad import FrameDecision, GuardedVad

MAX_SEGMENT_S = 120.0  # frames kept for one segment at most (a caller who never pauses)


@dataclass(frozen=True)
class SpeechStart:
    t_s: float


@dataclass(frozen=True)
class SpeechEnd:
    t_s: float
    duration_s: float
    level_dbfs: float


SegmentEvent = SpeechStart | SpeechEnd


class SpeechSegmenter:
    """Turns frames into :class:`SpeechStart` / :class:`SpeechEnd` events.

    Use it alone (``push(frame)`` runs its own guarded VAD) or behind a :class:`LineMonitor`
    (``push(frame, monitor.last)``) so each frame goes through the VAD only once.
    """

    def __init__(self, thresholds: LineThresholds, rate_hz: int, frame_ms: int = 20) -> None:
        th = thresholds
        self.rate_hz = rate_hz
        self.frame_ms = frame_ms
        self._frame_s = frame_ms / 1000.0
        self._vad: GuardedVad | None = None
        self._th = th
        self._onset = max(1, math.ceil(th.onset_ms / frame_ms))
        self._hang = round(th.vad_hangover_ms / frame_ms)
        self._preroll: deque[np.ndarray] = deque(maxlen=max(0, round(th.preroll_ms / frame_ms)))
        self._max_frames = round(MAX_SEGMENT_S / self._frame_s)
        self._pending: list[np.ndarray] = []  # consecutive speech frames before onset
        self._pending_power = 0.0
        self._segment: list[np.ndarray] = []
        self.in_speech = False
        self._frame_index = 0
        self._start_frame = 0
        self._last_voiced = 0  # index of the last speech frame
        self._since_voiced = 0
        self._power = 0.0
        self._n_power = 0
        self._voiced_power = 0.0
        self._n_voiced_power = 0
        self._frame_len = 0

    @classmethod
    def for_monitor(cls, monitor: LineMonitor) -> SpeechSegmenter:
        return cls(monitor.thresholds, monitor.rate_hz, monitor.frame_ms)

    def push(
        self, frame: np.ndarray | bytes, decision: FrameDecision | None = None
    ) -> list[SegmentEvent]:
        """Feed one frame; returns the events it caused (usually none)."""
        x = as_int16(frame)
        if decision is None:
            if self._vad is None:
                th = self._th
                self._vad = GuardedVad(
                    self.rate_hz, self.frame_ms, th.vad_aggressiveness, th.noise_margin_db,
                    th.silent_below_dbfs,
                )
            decision = self._vad.decide(x)
        self._frame_len = len(x)
        idx = self._frame_index
        self._frame_index += 1
        events: list[SegmentEvent] = []
        if not self.in_speech:
            if decision.speech:
                self._pending.append(x)
                self._pending_power += decision.power
                if len(self._pending) >= self._onset:
                    self.in_speech = True
                    self._start_frame = idx - len(self._pending) + 1
                    self._segment = list(self._preroll) + self._pending
                    self._preroll.clear()
                    self._power, self._n_power = self._pending_power, len(self._pending)
                    self._voiced_power, self._n_voiced_power = self._power, self._n_power
                    self._pending, self._pending_power = [], 0.0
                    self._last_voiced, self._since_voiced = idx, 0
                    events.append(SpeechStart(t_s=self._start_frame * self._frame_s))
                return events
            if self._pending:  # a blip shorter than the onset: back to pre-roll
                for f in self._pending:
                    self._preroll.append(f)
                self._pending, self._pending_power = [], 0.0
            self._preroll.append(x)
            return events
        # inside a segment
        if len(self._segment) < self._max_frames:
            self._segment.append(x)
        self._power += decision.power
        self._n_power += 1
        if decision.speech:
            self._last_voiced, self._since_voiced = idx, 0
            # level counts frames up to the last speech frame (the hang-over tail is excluded)
            self._voiced_power, self._n_voiced_power = self._power, self._n_power
        else:
            self._since_voiced += 1
        if self._since_voiced > self._hang:
            end_s = (self._last_voiced + 1) * self._frame_s
            start_s = self._start_frame * self._frame_s
            ms = self._voiced_power / max(1, self._n_voiced_power) / max(1, self._frame_len)
            level = -100.0 if ms <= 0 else max(-100.0, 10 * math.log10(ms / 1073741824.0))
            events.append(SpeechEnd(t_s=end_s, duration_s=end_s - start_s, level_dbfs=level))
            self.in_speech = False
            self._segment = []
            self._preroll.append(x)
        return events

    def segment_audio(self) -> np.ndarray:
        """Pre-roll plus the frames of the current segment so far (empty when not in speech)."""
        if not self._segment:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self._segment)

    def take_segment_frames(self) -> list[np.ndarray]:
        """Frames gathered since the last call (pre-roll first), for a streaming recogniser."""
        out, self._segment = self._segment, []
        return out
