"""The messages a CallSession's inbox carries: typed, so a producer and the loop cannot disagree
on a tuple's layout. Producers are the media thread (frames), the SIP thread (DTMF, hang-up,
transfer result), the background executor (rendered PCM, ticket receipts), the recogniser and
the agent (reload, drain); the session's own thread is the only consumer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ivr.config import Settings
from ivr.policy import events as ev
from ivr.tickets.types import TicketReceipt


@dataclass(frozen=True)
class FrameIn:
    """One 20 ms frame of the caller; `queued_at` (perf counter) measures lateness only."""

    pcm: bytes
    queued_at: float | None = None


@dataclass(frozen=True)
class PolicyEventIn:
    """An event for the policy from another thread (DTMF, transfer result, drain); the
    session stamps it with its own clock."""

    event: ev.Event


@dataclass(frozen=True)
class PromptDone:
    tag: Any
    completed: bool


@dataclass(frozen=True)
class PcmReady:
    """A phrase rendered off the call thread, ready to play."""

    tag: int
    pcm: np.ndarray


@dataclass(frozen=True)
class RecognizerResult:
    result: Any


@dataclass(frozen=True)
class RecognizerFailure:
    """Recognition stopped working (decoder crash, recogniser service gone): said once."""

    reason: str


@dataclass(frozen=True)
class TicketAnswer:
    """The register's answer to an OpenTicket: a receipt, or None and why not."""

    request_id: str
    receipt: TicketReceipt | None
    error: str = ""


@dataclass(frozen=True)
class RemoteHangup:
    pass


@dataclass(frozen=True)
class LocalHangup:
    """The SIP call ended on our side without the policy asking (a drain with no time left, a
    call the SIP layer lost): recorded as shutdown or error, never as the caller's hang-up."""

    code: int = 0
    reason: str = ""


@dataclass(frozen=True)
class Reload:
    settings: Settings


InboxMessage = (
    FrameIn
    | PolicyEventIn
    | PromptDone
    | PcmReady
    | RecognizerResult
    | RecognizerFailure
    | TicketAnswer
    | RemoteHangup
    | LocalHangup
    | Reload
)
