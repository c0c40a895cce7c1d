"""Helpers shared by the simulate tests (a uniquely named module, unlike conftest)."""

from __future__ import annotations

import numpy as np

from ivr.media.levels import active_speech_level_dbfs

QUIET_DBFS = -50.0  # real speech attenuated to this active level: a quiet caller


def at_level(samples: np.ndarray, rate_hz: int, target_dbfs: float) -> np.ndarray:
    """Scale speech so its active speech level (P.56 style) is `target_dbfs`."""
    level = active_speech_level_dbfs(samples, rate_hz)
    assert level is not None
    gain = 10 ** ((target_dbfs - level) / 20)
    return np.clip(np.round(samples * gain), -32768, 32767).astype(np.int16)
