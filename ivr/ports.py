"""The interfaces a call session talks to, so a whole call runs with fakes or with real parts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...


class CallControl(Protocol):
    """The telephony side of one call (ivr.sip AgentCall, or a fake)."""

    def hangup(self, code: int = 200) -> None: ...

    def transfer(self, target_uri: str, headers: dict[str, str]) -> None: ...


class AudioOut(Protocol):
    """Frame-accurate playback towards the caller."""

    def play(self, pcm: np.ndarray, tag: str) -> None: ...

    def stop(self) -> None: ...

    @property
    def is_playing(self) -> bool: ...


class Recognizer(Protocol):
    """A per-call streaming recogniser; results come back through a callback."""

    def feed(self, pcm: bytes) -> None: ...

    def end_segment(self) -> None: ...

    def set_grammar(self, phrases: list[str] | None) -> None: ...

    def close(self) -> None: ...


class Synthesizer(Protocol):
    """Ready PCM for catalogue phrases and runtime text at the call's clock rate."""

    def prompt(
        self, locale: str, prompt_id: str, rate_hz: int, variables: dict[str, str]
    ) -> np.ndarray: ...

    def say(
        self, locale: str, text: str, rate_hz: int, done: Callable[[np.ndarray], None]
    ) -> None: ...
