"""The SIP layer: the project's only pjsua2 importer.

It moves PCM frames, DTMF, call state and transfers; it knows nothing of policy or media
analysis. ``SipConfig``/``types``/``player``/``headers`` import without pjsua2; the engine and
call classes are loaded lazily so pure users (config checks, tests) stay light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ivr.sip.config import SipConfig, SipConfigError
from ivr.sip.player import FramePlayer
from ivr.sip.types import Accept, CallListener, Decision, IncomingCallInfo, Reject

if TYPE_CHECKING:
    from ivr.sip.call import AgentCall
    from ivr.sip.engine import SipEngine, SipError

__all__ = [
    "Accept",
    "AgentCall",
    "CallListener",
    "Decision",
    "FramePlayer",
    "IncomingCallInfo",
    "Reject",
    "SipConfig",
    "SipConfigError",
    "SipEngine",
    "SipError",
]


def __getattr__(name: str) -> Any:
    if name in ("SipEngine", "SipError"):
        from ivr.sip import engine

        return getattr(engine, name)
    if name == "AgentCall":
        from ivr.sip.call import AgentCall

        return AgentCall
    raise AttributeError(name)
