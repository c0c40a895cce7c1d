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


class StreamResampler:
    """:func:`resample` over a signal that arrives in pieces: push() blocks of any size, then
    flush(); the outputs, joined, are exactly ``resample(whole, from_hz, to_hz)``.

    Keeps only the filter's reach of input (about 2 * half samples), so memory does not grow with
    the signal: this is what lets `ivr analyze` read an hour-long 44.1 kHz file in blocks.
    """

    def __init__(self, from_hz: int, to_hz: int) -> None:
        if from_hz <= 0 or to_hz <= 0:
            raise ValueError(f"rates must be positive, got {from_hz} -> {to_hz} Hz")
        g = gcd(int(from_hz), int(to_hz))
        self._up, self._down = int(to_hz) // g, int(from_hz) // g
        self._w, self._half = _polyphase(self._up, self._down)
        self._d = np.arange(-self._half, self._half + 1)
        self._buf = np.zeros(self._half)  # input samples from index _start (zeros before 0)
        self._start = -self._half
        self._n_in = 0
        self._next_out = 0

    def _input_index(self, n: int) -> int:
        return (n * self._down) // self._up

    def push(self, samples: np.ndarray) -> np.ndarray:
        """Feed the next block; returns the output samples it completes (maybe none)."""
        x = np.asarray(samples, dtype=np.int16).astype(np.float64)
        self._buf = np.concatenate([self._buf, x])
        self._n_in += len(x)
        # output n needs inputs up to index q(n) + half: produce while they have arrived
        last_q = self._n_in - 1 - self._half
        end = (last_q * self._up) // self._down + 1 if last_q >= 0 else 0
        while end > 0 and self._input_index(end - 1) > last_q:
            end -= 1
        return self._produce(end)

    def flush(self) -> np.ndarray:
        """The remaining outputs (the signal ends here: zeros beyond it, as resample pads)."""
        self._buf = np.concatenate([self._buf, np.zeros(self._half + 1)])
        return self._produce((self._n_in * self._up) // self._down)

    def _produce(self, end: int) -> np.ndarray:
        parts = []
        for first in range(self._next_out, end, _CHUNK_OUTPUTS):
            n = np.arange(first, min(end, first + _CHUNK_OUTPUTS))
            pos = n * self._down
            q, phase = pos // self._up, pos % self._up
            gathered = self._buf[q[:, None] + self._d[None, :] - self._start]
            parts.append(np.einsum("ij,ij->i", gathered, self._w[phase]))
        self._next_out = max(self._next_out, end)
        keep_from = self._input_index(self._next_out) - self._half  # the next output's reach
        if keep_from > self._start:
            self._buf = self._buf[keep_from - self._start:]
            self._start = keep_from
        out = np.concatenate(parts) if parts else np.zeros(0)
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)
