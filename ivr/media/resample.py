"""Rational-ratio resampling of int16 audio, numpy only.

Windowed-sinc (Kaiser) polyphase filter: the anti-aliasing low-pass sits just under the lower of
the two Nyquist frequencies, so nothing above it folds back into the telephone band.  Used for
files (whole signals), not for live 20 ms frames: calls already arrive at 8 or 16 kHz.
"""

from __future__ import annotations

from functools import lru_cache
from math import gcd

import numpy as np

KAISER_BETA = 8.6  # about 85 dB stopband
STOPBAND_ATTENUATION_DB = 85.0  # what the Kaiser length estimate designs for
PASSBAND_FRACTION = 0.90  # of the lower Nyquist frequency: flat up to here
STOPBAND_FRACTION = 1.00  # and attenuated from here on (no aliasing into the band)
_CHUNK_OUTPUTS = 32768  # bounds memory of the gather step


@lru_cache(maxsize=32)
def _polyphase(up: int, down: int) -> tuple[np.ndarray, int]:
    """Per-phase weights ``w[phase, d]`` for input offsets ``d - half`` and that ``half``."""
    nyq_low = 0.5 * min(up, down)  # in units where the upsampled rate is up*down
    cutoff = 0.5 * (PASSBAND_FRACTION + STOPBAND_FRACTION) * nyq_low
    transition = (STOPBAND_FRACTION - PASSBAND_FRACTION) * nyq_low
    fs_up = float(up * down)  # upsampled rate in the same units (input rate = down)
    # Kaiser length estimate: N = (A - 7.95) / (2.285 * delta_omega)
    delta_omega = 2 * np.pi * transition / fs_up
    # half-length in upsampled steps
    half_up = int(np.ceil((STOPBAND_ATTENUATION_DB - 7.95) / (2.285 * delta_omega) / 2))
    half = half_up // up + 2  # in input samples
    phases = np.arange(up)[:, None]
    d = np.arange(-half, half + 1)[None, :]
    t = (phases - d * up).astype(np.float64)  # distance in upsampled steps
    fc = cutoff / fs_up  # cycles per upsampled step
    h = 2 * fc * np.sinc(2 * fc * t)
    inside = np.abs(t) <= half_up
    ratio = np.where(inside, t / half_up, 0.0)
    win = np.where(inside, np.i0(KAISER_BETA * np.sqrt(1 - ratio**2)) / np.i0(KAISER_BETA), 0.0)
    w = h * win
    w /= w.sum(axis=1, keepdims=True)  # unity DC gain in every phase
    return w, half


def resample(samples: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """Resample int16 mono ``samples`` from ``from_hz`` to ``to_hz`` (int16 out, same duration)."""
    if from_hz <= 0 or to_hz <= 0:
        raise ValueError(f"rates must be positive, got {from_hz} -> {to_hz} Hz")
    x = np.asarray(samples, dtype=np.int16)
    if from_hz == to_hz:
        return x.copy()
    g = gcd(int(from_hz), int(to_hz))
    up, down = int(to_hz) // g, int(from_hz) // g
    w, half = _polyphase(up, down)
    n_out = (len(x) * up) // down
    xf = np.concatenate([np.zeros(half), x.astype(np.float64), np.zeros(half + 1)])
    d = np.arange(-half, half + 1)
    out = np.empty(n_out, dtype=np.float64)
    for start in range(0, n_out, _CHUNK_OUTPUTS):
        n = np.arange(start, min(n_out, start + _CHUNK_OUTPUTS))
        pos = n * down
        q, phase = pos // up, pos % up
        gathered = xf[q[:, None] + d[None, :] + half]
        out[n] = np.einsum("ij,ij->i", gathered, w[phase])
    return np.clip(np.rint(out), -32768, 32767).astype(np.int16)
