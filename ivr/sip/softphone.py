"""The test softphone behind `ivr call`: place one call, play/record audio, send DTMF, report.

Runs its own SipEngine on a free port (one pjsua2 Endpoint per process), follows REFERs (so a
transfer test can watch the caller land on the agent desk) and returns a list of timed events.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ivr.sip.call import AgentCall
from ivr.sip.config import SipConfig
from ivr.sip.engine import SipEngine
from ivr.sip.types import CallListener

POLL_S = 0.02
RING_TIMEOUT_S = 30.0


@dataclass
class CallPlan:
    """What the softphone does on the call."""

    uri: str
    play_pcm: bytes = b""  # 16-bit mono at the engine's clock rate, played once media is up
    dtmf: list[tuple[str, float]] = field(default_factory=list)  # (digits, seconds after answer)
    dtmf_method: str = "rfc2833"
    max_s: float = 60.0  # hang up this long after the answer
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class CallReport:
    """Outcome: events (t_s, name, details), the recording and who hung up."""

    events: list[dict[str, Any]] = field(default_factory=list)
    answered: bool = False
    ended_normally: bool = False
    hung_up_by: str = ""  # "remote", "us" or ""
    duration_s: float = 0.0
    recording: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))


class _Events(CallListener):
    def __init__(self, sink: queue.Queue[tuple[str, AgentCall, dict[str, Any]]]) -> None:
        self.sink = sink

    def on_state(self, call: AgentCall, state: str) -> None:
        self.sink.put(("state", call, {"state": state}))

    def on_media_ready(self, call: AgentCall) -> None:
        self.sink.put(("media", call, {}))

    def on_dtmf(self, call: AgentCall, digit: str) -> None:
        self.sink.put(("dtmf_received", call, {"digit": digit}))

    def on_transfer_result(self, call: AgentCall, ok: bool, code: int) -> None:
        self.sink.put(("transfer_result", call, {"ok": ok, "code": code}))

    def on_disconnected(self, call: AgentCall, code: int, reason: str, by_remote: bool) -> None:
        self.sink.put(("disconnected", call,
                       {"code": code, "reason": reason, "by": "remote" if by_remote else "us"}))


def run_call(
    config: SipConfig, plan: CallPlan, emit: Callable[[dict[str, Any]], None] | None = None
) -> CallReport:
    """Place the call and block until every leg has ended; ``emit`` sees each event live."""
    report = CallReport()
    sink: queue.Queue[tuple[str, AgentCall, dict[str, Any]]] = queue.Queue()
    listener = _Events(sink)
    t0 = time.monotonic()
    chunks: list[bytes] = []

    def log(name: str, **details: Any) -> None:
        event = {"t_s": round(time.monotonic() - t0, 3), "event": name, **details}
        report.events.append(event)
        if emit is not None:
            emit(event)

    engine = SipEngine(config)
    engine.start()
    try:
        log("calling", uri=plan.uri, local=engine.local_uri)
        call = engine.make_call(plan.uri, plan.headers, listener)
        calls: list[AgentCall] = [call]
        answered_at: float | None = None
        pending_dtmf = sorted(plan.dtmf, key=lambda p: p[1])
        hangup_sent = False
        ended_legs: set[int] = set()
        while True:
            try:
                kind, leg, details = sink.get(timeout=POLL_S)
            except queue.Empty:
                kind, leg, details = "", call, {}
            if kind:
                if leg not in calls:
                    calls.append(leg)
                    log("transferred", uri=leg.remote_uri)
                if kind == "state" and details["state"] == "CONFIRMED":
                    log("answered", leg=calls.index(leg))
                    if answered_at is None:
                        answered_at = time.monotonic()
                        report.answered = True
                elif kind == "media":
                    log("media", leg=calls.index(leg))
                    if plan.play_pcm and leg is call:
                        leg.player.play(plan.play_pcm, "play")
                elif kind == "disconnected":
                    ended_legs.add(id(leg))
                    log("disconnected", leg=calls.index(leg), **details)
                    if leg is call or not report.hung_up_by:
                        report.hung_up_by = details["by"]
                elif kind in ("dtmf_received", "transfer_result"):
                    log(kind, leg=calls.index(leg), **details)
            for leg in calls:
                while True:
                    try:
                        chunks.append(leg.frames_in.get_nowait()[1])
                    except queue.Empty:
                        break
            now = time.monotonic()
            live = [leg for leg in calls if leg.is_active]
            # Stop once every leg's end was reported and no transfer leg is being set up.
            if all(id(leg) in ended_legs for leg in calls) and not engine.busy:
                break
            if answered_at is None and now - t0 > RING_TIMEOUT_S and not hangup_sent:
                log("no_answer", after_s=RING_TIMEOUT_S)
                call.hangup()
                hangup_sent = True
            if answered_at is not None:
                while pending_dtmf and now - answered_at >= pending_dtmf[0][1]:
                    digits, _ = pending_dtmf.pop(0)
                    target = live[-1] if live else call
                    target.send_dtmf(digits, plan.dtmf_method)
                    log("dtmf_sent", digits=digits)
                if now - answered_at >= plan.max_s and not hangup_sent:
                    log("max_duration", max_s=plan.max_s)
                    for leg in live:
                        leg.hangup()
                    hangup_sent = True
            if hangup_sent and now - t0 > RING_TIMEOUT_S + plan.max_s + 10:
                break
        ends = [leg.ended_at for leg in calls if leg.ended_at is not None]
        if answered_at is not None and ends:
            report.duration_s = round(max(ends) - answered_at, 3)
        report.ended_normally = report.answered and all(
            leg.end_code in (0, 200) or leg.ended_by_remote is not None for leg in calls
        )
        log("ended", answered=report.answered, hung_up_by=report.hung_up_by,
            duration_s=report.duration_s)
    finally:
        engine.stop()
    report.recording = np.frombuffer(b"".join(chunks), dtype="<i2").copy()
    return report
