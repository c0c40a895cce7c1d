"""A small test agent built from ivr.sip alone (not the session), one per process.

Run: python tests/sip/agent_helper.py '{"mode": "tone", ...}'. Prints one JSON object per event
on stdout ({"event": "listening", "port": N} first) and stops on stdin EOF or "quit".
Modes/options (JSON):
  tone_dbfs      play a continuous 440 Hz tone at this peak level (default -12)
  echo           send back what is received instead of the tone
  hangup_after_s agent hangs up this long after media is up
  transfer_to    on the first DTMF digit, REFER the caller there with X-Ticket-Id/User-to-User
  ticket_id      ticket id for the transfer headers
  desk           just answer and report the INVITE's headers (the agent desk of a transfer)
  reject_user    caller user part that gets 603 (blacklist)
  sip            SipConfig overrides (e.g. {"ack_timeout_s": 2})
  log_level      Python logging level for the agent's stderr log (default: warnings only)
Commands on stdin: quit, drain, calls, orphan (detach every call from pjsua2, as a stale
pjsua2 Call destructor would, to test the engine's lost-call safety net).
"""

from __future__ import annotations

import ctypes
import json
import logging
import math
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pjsua2 as pj

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ivr.sip import (
    Accept,
    AgentCall,
    CallListener,
    IncomingCallInfo,
    Reject,
    SipConfig,
    SipConfigError,
)
from ivr.sip.engine import SipEngine, SipError
from ivr.sip.headers import uui_hex

_lock = threading.Lock()


def emit(event: str, **details: Any) -> None:
    with _lock:
        print(json.dumps({"event": event, **details}), flush=True)


def tone(rate_hz: int, seconds: float, dbfs: float) -> bytes:
    n = int(rate_hz * seconds)
    amp = 32767 * 10 ** (dbfs / 20)
    t = np.arange(n) / rate_hz
    return (amp * np.sin(2 * math.pi * 440 * t)).astype("<i2").tobytes()


class Agent(CallListener):
    def __init__(self, opts: dict[str, Any]) -> None:
        self.opts = opts
        self.engine: SipEngine | None = None
        self.calls: dict[str, AgentCall] = {}

    # engine hooks
    def on_incoming(self, info: IncomingCallInfo) -> Accept | Reject:
        emit("incoming", user=info.remote_user, transport=info.transport,
             sip_call_id=info.sip_call_id,
             headers={k: v for k, v in info.headers.items()
                      if k.startswith("x-") or k == "user-to-user"})
        if info.remote_user and info.remote_user == self.opts.get("reject_user"):
            return Reject(603, "Decline")
        return Accept()

    def on_new_call(self, call: AgentCall) -> None:
        call.listener = self

    def on_registration(self, ok: bool, code: int, reason: str) -> None:
        emit("registration", ok=ok, code=code)

    # call events
    def on_state(self, call: AgentCall, state: str) -> None:
        emit("state", call=call.tag, state=state)

    def on_media_ready(self, call: AgentCall) -> None:
        emit("media", call=call.tag)
        cfg = call.engine.config
        if not self.opts.get("echo") and not self.opts.get("desk"):
            call.player.play(tone(cfg.clock_rate_hz, 60.0, self.opts.get("tone_dbfs", -12.0)))
        if self.opts.get("echo"):
            threading.Thread(target=self._echo, args=(call,), daemon=True).start()
        else:
            threading.Thread(target=self._drain, args=(call,), daemon=True).start()
        after = self.opts.get("hangup_after_s")
        if after:
            timer = threading.Timer(after, lambda: call.hangup())
            timer.daemon = True
            timer.start()

    def _echo(self, call: AgentCall) -> None:
        while call.is_active:
            try:
                _, pcm = call.frames_in.get(timeout=0.5)
            except Exception:
                continue
            call.player.play(pcm)

    def _drain(self, call: AgentCall) -> None:
        frames = 0
        energy = 0.0
        samples = 0
        while call.is_active or not call.frames_in.empty():
            try:
                _, pcm = call.frames_in.get(timeout=0.5)
            except Exception:
                continue
            frames += 1
            x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
            energy += float((x * x).sum())
            samples += len(x)
        rms = math.sqrt(energy / samples) if samples else 0.0
        dbfs = 20 * math.log10(rms / 32768) if rms > 0 else -120.0
        emit("frames", call=call.tag, count=frames, rms_dbfs=round(dbfs, 2))

    def on_dtmf(self, call: AgentCall, digit: str) -> None:
        emit("dtmf", call=call.tag, digit=digit)
        target = self.opts.get("transfer_to")
        if target and not getattr(call, "_transferring", False):
            call._transferring = True  # type: ignore[attr-defined]
            ticket = str(self.opts.get("ticket_id", "T-1"))
            call.transfer(target, {"X-Ticket-Id": ticket, "User-to-User": uui_hex(ticket)})
            emit("refer_sent", call=call.tag)

    def on_transfer_result(self, call: AgentCall, ok: bool, code: int) -> None:
        emit("transfer_result", call=call.tag, ok=ok, code=code)
        if ok:
            call.hangup()

    def on_disconnected(self, call: AgentCall, code: int, reason: str, by_remote: bool) -> None:
        emit("disconnected", call=call.tag, code=code, reason=reason, by_remote=by_remote)


def _orphan_calls(engine: SipEngine) -> None:
    lib = ctypes.CDLL(pj._pjsua2.__file__)
    for call in engine.active_calls:
        lib.pjsua_call_set_user_data(ctypes.c_int(call.call_id), ctypes.c_void_p(None))


def main() -> int:
    opts = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    if opts.get("log_level"):
        logging.basicConfig(level=opts["log_level"], format="%(name)s %(levelname)s %(message)s")
    agent = Agent(opts)
    try:
        engine = SipEngine(SipConfig(**{"port": 0, **opts.get("sip", {})}), agent)
        engine.start()
    except (SipError, SipConfigError) as exc:
        emit("error", message=str(exc))
        return 3
    agent.engine = engine
    emit("listening", port=engine.ports["udp"], max_calls=engine.max_calls)
    emit("transports", ports=engine.ports)
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        if command == "drain":
            engine.set_accepting(False)
            emit("draining")
        if command == "calls":
            emit("calls", count=len(engine.active_calls))
        if command == "orphan":  # detach the calls from pjsua2 as a stale Call::~Call would
            engine.submit(_orphan_calls, engine).result(5)
            emit("orphaned")
    engine.stop()
    emit("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
