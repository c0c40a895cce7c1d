"""What the policy asks the session to do. The session executes, the policy decides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.vocabulary import EndReason, Severity, TicketCategory


@dataclass(frozen=True)
class Action:
    pass


@dataclass(frozen=True)
class Play(Action):
    """Play a catalogue phrase; `vars` fill its call variables ({hours}, {surname}, ...)."""

    prompt_id: str
    vars: Mapping[str, Any] = field(default_factory=dict)
    barge_in: bool = True


@dataclass(frozen=True)
class Say(Action):
    """Speak runtime text (e.g. the read-back of a complaint), synthesised during the call."""

    text: str
    barge_in: bool = True


@dataclass(frozen=True)
class StopPlayback(Action):
    pass


@dataclass(frozen=True)
class StartTimer(Action):
    name: str
    seconds: float


@dataclass(frozen=True)
class CancelTimer(Action):
    name: str


@dataclass(frozen=True)
class Listen(Action):
    """Tell the recogniser what to expect next; `grammar` None means free speech."""

    grammar: tuple[str, ...] | None = None


@dataclass(frozen=True)
class StartRecording(Action):
    purpose: str = "complaint"
    max_s: float = 120.0


@dataclass(frozen=True)
class StopRecording(Action):
    pass


@dataclass(frozen=True)
class OpenTicket(Action):
    request_id: str
    category: TicketCategory
    promised_hours: int
    summary: str = ""
    transcript: str = ""
    severity: Severity = "normal"
    recording: bool = False
    notes: str = ""
    # How the caller introduced themselves (seed 000 第十六条 2: "我是王先生"), when they did.
    caller_title: str | None = None
    caller_surname: str | None = None


@dataclass(frozen=True)
class UpdateTicket(Action):
    request_id: str
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Transfer(Action):
    target: str
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Hangup(Action):
    reason: EndReason
