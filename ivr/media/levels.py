"""Signal levels in dBFS.

Convention: 0 dBFS is an RMS of 32768 (full-scale square wave); a full-scale sine is -3.01 dBFS.
Silence is reported as :data:`DBFS_FLOOR` rather than minus infinity so figures stay JSON-safe.
"""

from __future__ import annotations

import math

import numpy as np

FULL_SCALE = 32768.0
DBFS_FLOOR = -100.0
P56_MARGIN_DB = 15.9  # ITU-T P.56: threshold sits this far below the active level
P56_HANGOVER_S = 0.2  # ITU-T P.56 hang-over
P56_FRAME_MS = 10  # our frame-based approximation of P.56's envelope
P56_THRESHOLD_STEP_DB = 0.5
NO_SIGNAL_BELOW_DBFS = -90.0  # whole-signal RMS below this has no level at all


def dbfs(rms: float) -> float:
    """RMS (in int16 units) -> dBFS, never below :data:`DBFS_FLOOR`."""
    if rms <= 0:
        return DBFS_FLOOR
    return max(DBFS_FLOOR, 20.0 * math.log10(rms / FULL_SCALE))


def power_dbfs(mean_square: float) -> float:
    """Mean square (int16 units squared) -> dBFS."""
    if mean_square <= 0:
        return DBFS_FLOOR
    return max(DBFS_FLOOR, 10.0 * math.log10(mean_square / (FULL_SCALE * FULL_SCALE)))


def frame_rms(frame: np.ndarray) -> float:
    """Root mean square of one frame of int16 samples."""
    x = np.asarray(frame, dtype=np.float64)
    if x.size == 0:
        return 0.0
    return math.sqrt(float(np.dot(x, x)) / x.size)


def frame_powers(samples: np.ndarray, frame_len: int) -> np.ndarray:
    """Mean square of each whole frame of ``frame_len`` samples (a trailing part is dropped)."""
    x = np.asarray(samples, dtype=np.float64)
    n = len(x) // frame_len
    if n == 0:
        return np.zeros(0)
    f = x[: n * frame_len].reshape(n, frame_len)
    return np.einsum("ij,ij->i", f, f) / frame_len


def active_speech_level_dbfs(samples: np.ndarray, rate_hz: int) -> float | None:
    """Active speech level (ITU-T P.56 spirit): the level over the active part only.

    Frames of 10 ms; a frame is active when its level is above a threshold c, extended by a
    200 ms hang-over.  P.56 picks the c at which the active level sits 15.9 dB above c; we scan
    c in 0.5 dB steps and interpolate.  Pauses therefore do not lower the level, which is what
    prompt normalisation and the low-volume verdict need.  ``None`` when there is no signal.
    """
    frame_len = max(1, rate_hz * P56_FRAME_MS // 1000)
    powers = frame_powers(samples, frame_len)
    if powers.size == 0 or power_dbfs(float(powers.mean())) < NO_SIGNAL_BELOW_DBFS:
        return None
    floor_ms = (FULL_SCALE**2) * 10 ** (DBFS_FLOOR / 10)
    level_db = 10 * np.log10(np.maximum(powers, floor_ms) / FULL_SCALE**2)
    hang = max(0, round(P56_HANGOVER_S * 1000 / P56_FRAME_MS))
    prev_c = prev_diff = None
    top = float(level_db.max())
    c = top
    while c >= DBFS_FLOOR:
        above = level_db >= c
        if hang:
            # a frame is active if any of the last `hang`+1 frames was above the threshold
            csum = np.concatenate([[0], np.cumsum(above)])
            idx = np.arange(1, len(above) + 1)
            active = (csum[idx] - csum[np.maximum(idx - hang - 1, 0)]) > 0
        else:
            active = above
        level = 10 * math.log10(float(powers[active].mean()) / FULL_SCALE**2)
        diff = level - c
        if diff >= P56_MARGIN_DB:
            if prev_c is None or prev_diff is None:
                return level
            # interpolate c between the previous (diff < margin) and this step
            frac = (P56_MARGIN_DB - diff) / (prev_diff - diff)
            c_star = c + frac * (prev_c - c)
            return c_star + P56_MARGIN_DB
        prev_c, prev_diff = c, diff
        c -= P56_THRESHOLD_STEP_DB
    # never 15.9 dB above any threshold: the signal is steady (e.g. a tone); all of it is active
    return power_dbfs(float(powers.mean()))


# --- noise floor: measured while the caller is not talking, held while they talk --------------

NOISE_PERCENTILE = 40  # of non-speech frame levels: quiet speech frames above it do not count
NOISE_MEMORY_S = 2.0  # the live floor covers the last this-many seconds of NON-speech frames
NOISE_MIN_MS = 200  # non-speech seen before the live floor is trusted (until then: unknown-low)
NOISE_BIN_DB = 0.5  # resolution of the live floor (histogram bins from DBFS_FLOOR to 0 dBFS)
_NOISE_BINS = int(-DBFS_FLOOR / NOISE_BIN_DB) + 1


def noise_floor_dbfs(
    nonspeech_levels_dbfs: np.ndarray, percentile: int = NOISE_PERCENTILE
) -> float:
    """Whole-recording noise floor: a low percentile of the non-speech frames' levels.

    A percentile, not the energy mean, so that the quiet speech frames a VAD calls non-speech
    (ends of words, between syllables of fast speech) cannot drag the floor up; :data:`DBFS_FLOOR`
    (unknown-low) when there is no non-speech frame at all.
    """
    x = np.asarray(nonspeech_levels_dbfs, dtype=np.float64)
    if x.size == 0:
        return DBFS_FLOOR
    return float(np.percentile(x, percentile, method="inverted_cdf"))


class NoiseFloorTracker:
    """Live noise floor over the last ``capacity`` non-speech frame levels, O(1) per frame.

    Only non-speech frames are added, so while the caller talks without a pause the floor is
    held, not re-measured on quiet speech.  The estimate is the ``percentile``-th of the stored
    levels, tracked with a histogram of :data:`NOISE_BIN_DB` bins and a pointer that moves a bin
    or so per update (it can never walk more than the bins there are).  Until ``min_count``
    levels have been seen, :attr:`floor_dbfs` is :data:`DBFS_FLOOR`: unknown counts as low, so a
    caller who talks from the first frame is never called noisy for it.
    """

    __slots__ = ("_below", "_bin", "_hist", "_k_num", "_n", "_pos", "_ring", "capacity",
                 "floor_dbfs", "min_count", "percentile")

    def __init__(self, capacity: int, percentile: int = NOISE_PERCENTILE,
                 min_count: int = 1) -> None:
        if capacity < 1 or not 0 < percentile <= 100 or not 1 <= min_count <= capacity:
            raise ValueError(
                f"capacity={capacity} (>= 1), percentile={percentile} (1-100), "
                f"min_count={min_count} (1-capacity)"
            )
        self.capacity = capacity
        self.percentile = percentile
        self.min_count = min_count
        self._ring = [0] * capacity  # bin index of each stored level
        self._hist = [0] * _NOISE_BINS
        self._pos = 0
        self._n = 0
        self._bin = 0  # the bin holding the k-th smallest stored level
        self._below = 0  # stored levels in bins below self._bin
        self._k_num = percentile
        self.floor_dbfs = DBFS_FLOOR

    def __len__(self) -> int:
        return self._n

    def add(self, level_dbfs: float) -> float:
        """Store one non-speech frame's level; returns the floor after it."""
        b = int((level_dbfs - DBFS_FLOOR) / NOISE_BIN_DB + 0.5)
        if b < 0:
            b = 0
        elif b >= _NOISE_BINS:
            b = _NOISE_BINS - 1
        hist = self._hist
        p = self._bin
        below = self._below
        pos = self._pos
        n = self._n
        if n == self.capacity:  # forget the oldest
            old = self._ring[pos]
            hist[old] -= 1
            if old < p:
                below -= 1
        else:
            n += 1
            self._n = n
        self._ring[pos] = b
        pos += 1
        self._pos = 0 if pos == self.capacity else pos
        hist[b] += 1
        if b < p:
            below += 1
        k = (self._k_num * n + 99) // 100  # rank of the percentile, as numpy's inverted_cdf
        if k < 1:
            k = 1
        while below >= k:
            p -= 1
            below -= hist[p]
        while below + hist[p] < k:
            below += hist[p]
            p += 1
        self._bin, self._below = p, below
        if n >= self.min_count:
            self.floor_dbfs = DBFS_FLOOR + p * NOISE_BIN_DB
        return self.floor_dbfs
