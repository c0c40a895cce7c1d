"""CallSession, the one place that wires a call, as a package.

`core` runs the inbox loop and carries out the policy's actions; `inbox` (the typed messages
other threads send it), `playback` (phrases to the player), `recording`, `effects` (ticket
drafts, transfer target and headers), `call_record` (the register's row), `facts` (what a call
is and how it ended), `timing` (clocks, frame cost), `redaction` (log-safe descriptions) and
`render_pool` (the default executor) each do one job for it. The frame -> event translation is
ivr.media.translator, shared with `ivr simulate`. `from ivr.session import X` is the way in.
"""

from __future__ import annotations

from ivr.session.core import (
    ASR_RESULT_TIMEOUT_S,
    IDLE_POLL_S,
    CallSession,
)
from ivr.session.facts import CallFacts, CallOutcome
from ivr.session.timing import FRAME_MS, LATE_FRAME_WAIT_S, FrameTiming, MonotonicClock

__all__ = [
    "ASR_RESULT_TIMEOUT_S",
    "FRAME_MS",
    "IDLE_POLL_S",
    "LATE_FRAME_WAIT_S",
    "CallFacts",
    "CallOutcome",
    "CallSession",
    "FrameTiming",
    "MonotonicClock",
]
