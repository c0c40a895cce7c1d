"""What a session knows about its call when it is answered, and what it reports when it ends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ivr.vocabulary import EndReason


@dataclass(frozen=True)
class CallFacts:
    """What is known about a call when it is answered."""

    call_id: str
    caller: str = ""
    called: str = ""
    ring_s: float = 0.0
    answered_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    blacklisted: bool = False
    locale: str = "zh-CN"
    rate_hz: int = 8000
    sip_call_id: str = ""  # the INVITE's Call-ID: joins our records with the PBX's and SIP traces
    worker_id: int = 0  # which `ivr serve --workers` process took the call (0: a single agent)


@dataclass
class CallOutcome:
    """How a call ended, for the agent's one-line log and the demo's summary."""

    call_id: str
    caller_masked: str
    end_reason: EndReason
    duration_s: float
    ticket_ids: list[str]
    transfer_target: str | None
    prompts_played: list[str]
    timeline: list[tuple[float, str, str]]
    answered_at: dt.datetime | None = None
    sip_call_id: str = ""
    worker_id: int = 0
    ticket_refs: list[str] = field(default_factory=list)  # full ticket ids (for updates)
    recording_paths: list[str] = field(default_factory=list)  # WAVs written during the call
