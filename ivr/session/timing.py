"""Clocks and the per-call frame cost figures a live agent logs at the end of each call."""

from __future__ import annotations

import time
from array import array

import numpy as np

FRAME_MS = 20
LATE_FRAME_WAIT_S = FRAME_MS / 1000  # a frame queued longer than one frame period is late


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()


class FrameTiming:
    """Per-call frame cost (analysis time) and lateness (time queued before the session got
    to it), logged at the end of the call so capacity can be read from a live agent's log."""

    def __init__(self) -> None:
        self.work_s = array("f")
        self.late_count = 0

    def add(self, queued_s: float, work_s: float) -> None:
        self.work_s.append(work_s)
        if queued_s > LATE_FRAME_WAIT_S:
            self.late_count += 1

    def summary(self) -> str:
        if not self.work_s:
            return "no frames timed"
        p50, p99 = np.percentile(np.frombuffer(self.work_s, dtype=np.float32), [50, 99]) * 1e6
        return (
            f"{len(self.work_s)} frames, processing p50 {p50:.0f} us p99 {p99:.0f} us, "
            f"late {self.late_count}"
        )
