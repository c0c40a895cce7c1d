"""CallSession, the one place that wires a call, as a package.

`core` runs the inbox loop and carries out the policy's actions; `facts` (what a call is and how
it ended), `timing` (clocks, frame cost), `recording`, `effects` (ticket drafts, transfer target
and headers), `call_record` (the register's row), `redaction` (log-safe descriptions) and
`render_pool` each do one job for it. `from ivr.session import X` is the one way in.
"""

from __future__ import annotations

from ivr.session.core import (
    ASR_RESULT_TIMEOUT_S,
    IDLE_POLL_S,
    LINE_REPORT_EVERY_FRAMES,
    CallSession,
)
from ivr.session.facts import CallFacts, CallOutcome
from ivr.session.timing import FRAME_MS, LATE_FRAME_WAIT_S, FrameTiming, MonotonicClock
from ivr.vocabulary import VERDICTS

__all__ = [
    "ASR_RESULT_TIMEOUT_S",
    "FRAME_MS",
    "IDLE_POLL_S",
    "LATE_FRAME_WAIT_S",
    "LINE_REPORT_EVERY_FRAMES",
    "VERDICTS",
    "CallFacts",
    "CallOutcome",
    "CallSession",
    "FrameTiming",
    "MonotonicClock",
]
