"""Is the caller on a hands-free / speakerphone line? A reverberation estimate from the audio.

Seed 000 第十七条 5: "(因用户使用免提而)无法听清楚时: '对不起,您的声音太小,请您拿起话筒说话好吗?'".
A handset mouthpiece picks up the voice dry; a speakerphone in a room also picks up the room,
and every pause in the speech ends in a reverberant tail. The estimate follows each speech
offset (the energy falls from a loud frame into a pause) and measures how fast it decays,
like a Schroeder decay read off running speech: the slope of the 10 ms frame energy (dB) from
5 dB to 25 dB below the offset, extrapolated to 60 dB. Dry speech falls in a few frames
(decay ~0.1-0.2 s); a room with RT60 0.6 s leaves tails of that order. The median over the
recent offsets is the estimate; pure, time counted in frames.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

FRAME_MS = 10
TAIL_FRAMES = 80  # up to 800 ms followed after an offset
FALL_DB = 20.0  # an offset falls this far into a pause (the decay is scaled to 60 dB)
OFFSETS_KEPT = 9
MIN_OFFSETS = 2  # no verdict before this many measured offsets


def frame_db(samples: np.ndarray, rate_hz: int) -> np.ndarray:
    """Energy of 10 ms frames in dBFS."""
    n = rate_hz * FRAME_MS // 1000
    usable = len(samples) // n * n
    frames = samples[:usable].astype(np.float64).reshape(-1, n) / 32768.0
    power = np.mean(frames**2, axis=1)
    return 10 * np.log10(power + 1e-12)


def block_db(samples: np.ndarray, rate_hz: int) -> list[float]:
    """Energy (dBFS) of each whole 10 ms frame of ``samples`` (any shape, read in order), as
    Python floats for :meth:`ReverbEstimator.push_db`.

    The sums of squares are taken in float64 from the int16 values: exact integers whatever
    the summation order, so a 100 ms block and five 20 ms frames give the same values, bit for
    bit (the batched frame path relies on it)."""
    n = rate_hz * FRAME_MS // 1000
    flat = samples.reshape(-1)
    usable = len(flat) // n * n
    x = flat[:usable].astype(np.float64).reshape(-1, n)
    ref = n * 1073741824.0  # n samples at 32768 ** 2
    log10 = math.log10
    return [10.0 * log10(s / ref + 1e-12) for s in np.einsum("ij,ij->i", x, x).tolist()]


class ReverbEstimator:
    """Streaming decay estimate from 10 ms frame energies (push one value per frame).

    An offset is the last frame within 15 dB of the speech peak before the energy falls FALL_DB
    into a pause without rising again by more than 3 dB; its decay time is the time of that
    fall scaled to 60 dB. Falls that never reach FALL_DB (a consonant, a short dip) are not
    offsets.
    """

    def __init__(self, threshold_s: float = 0.35) -> None:
        self.threshold_s = threshold_s
        self.decays: deque[float] = deque(maxlen=OFFSETS_KEPT)
        self._peak = -120.0
        self._start: float | None = None  # level of the last loud frame
        self._frames = 0  # frames since it
        self._low = 0.0  # lowest level since it
        self._decay_s: float | None = None  # median of `decays`, updated when one is added

    def push_frame(self, frame: np.ndarray, rate_hz: int) -> None:
        """A call frame (any multiple of 10 ms): its 10 ms energies, one row-wise numpy call
        (the frame path's cost: a few microseconds)."""
        for db in block_db(frame, rate_hz):
            self.push_db(db)

    def push_db(self, db: float) -> None:
        self._peak = max(db, self._peak - 0.02)  # the speech peak, slowly forgotten
        if db > self._peak - 15.0:
            self._start, self._frames, self._low = db, 0, db  # loud: a new possible offset
            return
        if self._start is None:
            return
        self._frames += 1
        if db > self._low + 3.0 or self._frames > TAIL_FRAMES:
            self._start = None  # rose again, or too slow to be a tail we can measure
            return
        self._low = min(self._low, db)
        if db <= self._start - FALL_DB:
            self.decays.append(60.0 / FALL_DB * self._frames * FRAME_MS / 1000)
            self._start = None
            if len(self.decays) >= MIN_OFFSETS:
                self._decay_s = float(np.median(self.decays))

    @property
    def decay_s(self) -> float | None:
        """Median decay time (s) over the recent offsets, None until enough were measured.
        Read with every line report: kept up to date when an offset is added, not recomputed."""
        return self._decay_s

    @property
    def reverberant(self) -> bool:
        decay = self.decay_s
        return decay is not None and decay >= self.threshold_s


def estimate_decay_s(samples: np.ndarray, rate_hz: int) -> float | None:
    """Whole-signal estimate (tests, ivr analyze)."""
    est = ReverbEstimator()
    for db in frame_db(samples, rate_hz):
        est.push_db(float(db))
    return est.decay_s
