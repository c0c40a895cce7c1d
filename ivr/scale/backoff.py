"""Restart back-off for crashed children: pure arithmetic, time is an input.

A child that keeps crashing is restarted after 1, 2, 4 ... seconds up to a ceiling, so a broken
worker (bad config, port taken) does not spin the CPU; a child that ran long enough before it
died counts as healthy again and is restarted at once-ish (the first delay).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ivr.config import ScaleSettings

_SCALE_DEFAULTS = ScaleSettings()
INITIAL_DELAY_S = _SCALE_DEFAULTS.restart_initial_s  # scale.restart_initial_s
FACTOR = 2.0
MAX_DELAY_S = _SCALE_DEFAULTS.restart_max_s  # scale.restart_max_s
STABLE_AFTER_S = 60.0


@dataclass(frozen=True)
class Backoff:
    initial_s: float = INITIAL_DELAY_S
    factor: float = FACTOR
    max_s: float = MAX_DELAY_S
    stable_after_s: float = STABLE_AFTER_S

    def __post_init__(self) -> None:
        if self.initial_s < 0 or self.max_s < self.initial_s or self.factor < 1.0:
            raise ValueError(
                f"back-off needs 0 <= initial_s <= max_s and factor >= 1, got "
                f"initial_s={self.initial_s}, max_s={self.max_s}, factor={self.factor}"
            )

    @classmethod
    def from_settings(cls, settings: Any) -> Backoff:
        """The restart delays of the [scale] section (defaults when there is none)."""
        scale = getattr(settings, "scale", None) or _SCALE_DEFAULTS
        return cls(initial_s=scale.restart_initial_s, max_s=scale.restart_max_s)

    def failures_after(self, previous_failures: int, ran_s: float) -> int:
        """Consecutive failures counting this exit; a long run resets the count."""
        return 1 if ran_s >= self.stable_after_s else previous_failures + 1

    def delay_s(self, failures: int) -> float:
        """Wait before restart number ``failures`` (1 = first consecutive failure)."""
        if failures <= 0:
            return 0.0
        # cap the exponent so huge failure counts cannot overflow a float
        return min(self.max_s, self.initial_s * self.factor ** min(failures - 1, 64))
