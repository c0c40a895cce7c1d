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
