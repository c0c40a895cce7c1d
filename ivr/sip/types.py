"""Plain data and listener interfaces of the SIP layer (no pjsua2 import).

The session (upper layer) sees calls only through these: an :class:`IncomingCallInfo` to decide
on, an :class:`Accept` or :class:`Reject` answer, and a :class:`CallListener` for call events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ivr.sip.call import AgentCall


@dataclass(frozen=True)
class IncomingCallInfo:
    """What we know about an INVITE before answering it."""

    sip_call_id: str
    remote_uri: str  # From header value (name-addr)
    remote_user: str  # caller number / user part; mask it before logging
    local_uri: str  # To header value
    source: str  # "ip:port" the INVITE came from
    transport: str  # "udp", "tcp" or "tls"
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names


@dataclass(frozen=True)
class Accept:
    """Take the call. auto_answer=False sends 180 and waits for ``call.answer()``.

    media=False answers without a media port (no frames, silence out): the capacity floor.
    """

    auto_answer: bool = True
    media: bool = True


@dataclass(frozen=True)
class Reject:
    """Refuse the call before answering (e.g. 403 or 603 for a blacklisted caller)."""

    code: int = 603
    reason: str = "Decline"

    def __post_init__(self) -> None:
        if not 300 <= self.code <= 699:
            raise ValueError(f"reject code must be 300..699, not {self.code}")


Decision = Accept | Reject


class CallListener:
    """Call events for the upper layer; subclass and override what you need.

    Threads: ``on_frame`` runs on the pjsua2 media thread and must return at once (the frame is
    already on ``call.frames_in``); the others run on the SIP engine thread and must not block
    (hand work to your own thread). Never call pjsua2 yourself: use the AgentCall methods.
    """

    def on_state(self, call: AgentCall, state: str) -> None:
        """SIP state changed: CALLING, INCOMING, EARLY, CONNECTING, CONFIRMED, DISCONNECTED."""

    def on_media_ready(self, call: AgentCall) -> None:
        """Audio flows both ways: frames arrive and ``call.player`` is heard."""

    def on_frame(self, call: AgentCall, pcm: bytes, t_frames: int) -> None:
        """A received 16-bit mono frame (already queued on ``call.frames_in``)."""

    def on_dtmf(self, call: AgentCall, digit: str) -> None:
        """A DTMF digit arrived (RFC 2833/4733 or SIP INFO)."""

    def on_transfer_result(self, call: AgentCall, ok: bool, code: int) -> None:
        """Final outcome of our REFER: the transferred leg's final status (or REFER failure)."""

    def on_disconnected(self, call: AgentCall, code: int, reason: str, by_remote: bool) -> None:
        """The call ended; ``by_remote`` is True when the other side hung up."""


class EngineHooks(Protocol):
    """Engine-level callbacks, all on the SIP engine thread."""

    def on_incoming(self, info: IncomingCallInfo) -> Decision:
        """Decide on an INVITE before it is answered."""
        ...

    def on_new_call(self, call: AgentCall) -> None:
        """An accepted incoming call exists: set ``call.listener`` here."""
        ...

    def on_registration(self, ok: bool, code: int, reason: str) -> None:
        """Registration (or re-registration) result when a registrar is configured."""
        ...
