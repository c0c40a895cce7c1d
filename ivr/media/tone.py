"""A rendered tone: the "提示音" the recording prompts promise (issue 13 defect 6).

Pure: a sine at frequency_hz for duration_ms at level_dbfs (RMS, full scale = 0 dBFS for a
full-scale sine's peak), with 10 ms raised-cosine ramps so it does not click on a G.711 line.
"""

from __future__ import annotations

import numpy as np

RAMP_MS = 10


def tone_pcm(frequency_hz: float, duration_ms: int, level_dbfs: float, rate_hz: int) -> np.ndarray:
    """16-bit PCM of the tone at the call's clock rate."""
    if not 0 < frequency_hz < rate_hz / 2:
        raise ValueError(f"tone of {frequency_hz} Hz cannot be carried at {rate_hz} Hz")
    n = max(1, round(rate_hz * duration_ms / 1000))
    t = np.arange(n) / rate_hz
    peak = 32767.0 * 10 ** (level_dbfs / 20) * np.sqrt(2.0)  # RMS level -> sine peak
    wave = np.sin(2 * np.pi * frequency_hz * t) * min(peak, 32767.0)
    ramp = min(n // 2, round(rate_hz * RAMP_MS / 1000))
    if ramp > 0:
        edge = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        wave[:ramp] *= edge
        wave[-ramp:] *= edge[::-1]
    return np.round(wave).astype(np.int16)
