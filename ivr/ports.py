"""The interfaces a call session talks to, so a whole call runs with fakes or with real parts.

Real implementations: CallControl and Player by ivr.sip (AgentCall, FramePlayer), PromptSource
by ivr.media.prompt_library.PromptLibrary, StreamingRecognizer by ivr.media.asr.Recognizer,
TicketStore by ivr.tickets.service.TicketService. Tests use tests/session/harness.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from ivr.tickets.types import CallRecordDraft, TicketDraft, TicketReceipt


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...


class CallControl(Protocol):
    """The telephony side of one call."""

    def hangup(self, code: int = 200) -> None: ...

    def transfer(self, target_uri: str, headers: dict[str, str]) -> None: ...


class Player(Protocol):
    """Frame-accurate playback towards the caller: `play` queues PCM bytes, `stop` cuts it."""

    def play(self, pcm: bytes, tag: Any = None) -> None: ...

    def stop(self) -> list[Any]: ...


class PromptSource(Protocol):
    """Ready PCM for catalogue phrases, and runtime text rendered off the caller's thread."""

    def prompt(
        self, locale: str, prompt_id: str, rate_hz: int, variables: dict[str, Any] | None = None
    ) -> np.ndarray: ...

    def say(
        self, locale: str, text: str, rate_hz: int, done: Callable[[np.ndarray], None]
    ) -> None: ...


class StreamingRecognizer(Protocol):
    """A per-call recogniser; final results come back through the callback it was opened with."""

    def feed(self, pcm: bytes) -> None: ...

    def end_segment(self) -> None: ...

    def set_grammar(self, phrases: list[str] | None) -> None: ...

    def close(self) -> None: ...


# (rate_hz, on_result, on_error): on_error(exc) reports, once, that recognition stopped working.
RecognizerFactory = Callable[
    [int, Callable[[Any], None], Callable[[BaseException], None]], StreamingRecognizer | None
]


class TicketStore(Protocol):
    def open_ticket(self, draft: TicketDraft) -> TicketReceipt: ...

    def record_call(self, record: CallRecordDraft) -> None: ...

    def set_satisfaction(self, ticket_id: str, score: int) -> None: ...

    def set_contact_number(self, ticket_id: str, number: str) -> None: ...
