"""Callers on other hosts: the agent, the caller and the agent desk each in their own network
namespace on a private /24 (10.77.0.0/24, inside the test only). Loopback hides every address
mistake (a worker writing 127.0.0.1 into its SDP still works there); these tests do not.

Two-way audio is checked on both ends: the remote caller's recording holds the greeting
(non-zero level), and the agent's line monitor measured the caller's speech at the level it was
sent (the SpeechEnded step of the call's timeline). Budget: about 60-90 s for the file.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from e2ekit import (
    OPEN_HOURS,
    RATE_HZ,
    Proc,
    at_level,
    human_speech,
    ivr_argv,
    silence,
    write_audio,
)
from netkit import Lan

pytestmark = [pytest.mark.sip, pytest.mark.slow]

SIP_PORT = 5060  # each namespace has its own ports: no free-port hunting needed
DESK_PORT = 5070
ADMIN_PORT = 8080
SPEECH_DBFS = -20.0
LEVEL_TOLERANCE_DB = 4.0
GREETING_MIN_RMS = 0.01  # full scale = 1.0; silence (no RTP reached us) is 0.0
START_TIMEOUT_S = 120.0
SPEECH_S = 3.0


def _env(data_dir: Path) -> dict[str, str]:
    return dict(os.environ, IVR_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")


def _greeting_s(data_dir: Path) -> float:
    from ivr.config import load_settings
    from ivr.media.prompt_library import PromptLibrary

    old = os.environ.get("IVR_DATA_DIR")
    os.environ["IVR_DATA_DIR"] = str(data_dir)
    try:
        settings = load_settings(None)
        with PromptLibrary(settings) as library:
            samples = library.get(settings.service.default_locale, "greeting", RATE_HZ)
        return len(samples) / RATE_HZ
    finally:
        if old is None:
            os.environ.pop("IVR_DATA_DIR", None)
        else:
            os.environ["IVR_DATA_DIR"] = old


def _start(lan: Lan, host: str, argv: list[str], env: dict[str, str], log: Path,
           started: list[Proc]) -> Proc:
    proc = Proc(lan.argv(host, argv), env, log)
    started.append(proc)
    return proc


def _serve_argv(lan: Lan, tmp: Path, extra: list[str]) -> list[str]:
    argv = ivr_argv("-v", "serve", "--bind", lan.addresses["agent"], "--sip-port", str(SIP_PORT),
                    "--admin-port", str(ADMIN_PORT), "--db", f"sqlite:///{tmp / 'tickets.db'}",
                    "--no-asr", *extra)
    desk = f"sip:desk@{lan.addresses['desk']}:{DESK_PORT}"
    for item in [*OPEN_HOURS, f"transfer.queues.default={desk}"]:
        argv += ["--set", item]
    return argv


def _caller_audio(tmp: Path, name: str, greeting_s: float) -> Path:
    """Silence through the greeting, then real speech at SPEECH_DBFS, then silence."""
    talk = at_level(human_speech(SPEECH_S), SPEECH_DBFS)
    return write_audio(tmp / f"{name}.wav",
                       np.concatenate([silence(greeting_s + 0.5), talk, silence(1.0)]))


def _call_argv(lan: Lan, play: Path, record: Path, person_at_s: float, max_s: float
               ) -> list[str]:
    from ivr.config import load_settings

    person = load_settings(None).menu.person_digit
    return ivr_argv("call", f"sip:ivr@{lan.addresses['agent']}:{SIP_PORT}", "--json",
                    "--bind", lan.addresses["caller"], "--play", str(play), "--record",
                    str(record), "--dtmf", person, "--dtmf-at", f"{person_at_s:.2f}",
                    "--max-s", f"{max_s:g}")


def _events(proc: Proc) -> list[dict[str, Any]]:
    return [json.loads(ln) for ln in proc.lines if ln.startswith("{")]


def _rms(path: Path, start_s: float, end_s: float) -> float:
    from ivr.media.wavio import read_wav

    audio = read_wav(path)
    a, b = int(start_s * audio.rate_hz), int(end_s * audio.rate_hz)
    chunk = audio.samples[a:b].astype(np.float64) / 32768.0
    return float(np.sqrt(np.mean(chunk**2))) if len(chunk) else 0.0


def _timeline(data_dir: Path, call_line: str, timeout_s: float = 10.0) -> dict[str, Any]:
    match = re.search(r"call (\w+) from", call_line)
    assert match, call_line
    prefix = match.group(1)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for path in sorted((data_dir / "calls").glob(f"{prefix}*.json")):
            try:
                return dict(json.loads(path.read_text()))
            except json.JSONDecodeError:
                pass
        time.sleep(0.1)
    raise AssertionError(f"no timeline for {call_line!r}")


def _speech_levels(timeline: dict[str, Any]) -> list[float]:
    levels = []
    for step in timeline["timeline"]:
        match = re.search(r"SpeechEnded\(.*level_dbfs=(-?[\d.]+)", step["what"])
        if match:
            levels.append(float(match.group(1)))
    return levels


def _check_caller(caller: Proc, record: Path, greeting_s: float) -> None:
    """The remote caller heard the greeting, was transferred and had audio with the desk."""
    code = caller.proc.wait(timeout=90)
    events = _events(caller)
    names = [e["event"] for e in events]
    assert code == 0, caller.tail()
    rms = _rms(record, 0.2, greeting_s)
    print(f"caller heard the greeting at RMS {rms:.3f}")
    assert rms > GREETING_MIN_RMS, (rms, caller.tail())
    assert "transferred" in names, names
    legs_with_media = {e.get("leg") for e in events if e["event"] == "media"}
    assert len(legs_with_media) >= 2, events


def _check_agent_line(data_dir: Path, agent_line: str, workers: bool) -> None:
    """The agent's line monitor measured the caller's speech at the level it was sent; the
    timeline carries what joins it with other CDRs (start time, SIP Call-ID, worker)."""
    assert "-> sip:desk@" in agent_line, agent_line
    timeline = _timeline(data_dir, agent_line)
    assert timeline["answered_at"].endswith("+00:00") and timeline["sip_call_id"], timeline
    assert (timeline["worker_id"] in (1, 2)) if workers else timeline["worker_id"] == 0
    levels = _speech_levels(timeline)
    print(f"agent measured the caller's speech at {levels} dBFS (sent at {SPEECH_DBFS})")
    assert levels, agent_line
    assert abs(max(levels) - SPEECH_DBFS) <= LEVEL_TOLERANCE_DB, levels


TRANSFERRED_LINE = re.compile(r"(?:^|\[worker \d+\] )call \w+ from .* transferred")


def _rtp_ports_in_use(lan: Lan) -> set[int]:
    """UDP ports bound on the agent host's LAN address, SIP's excepted (RTP and RTCP)."""
    out = lan.run("agent", ["ss", "-Huln"]).stdout
    ports = set()
    for line in out.splitlines():
        local = line.split()[3]
        address, _, port = local.rpartition(":")
        if address == lan.addresses["agent"] and int(port) != SIP_PORT:
            ports.add(int(port))
    return ports


def _check_call_register(tmp: Path, env: dict[str, str], calls: int) -> None:
    """`ivr calls list` shows each call with its SIP Call-ID and worker."""
    import subprocess

    proc = subprocess.run(ivr_argv("calls", "list", "--json", "--db",
                                   f"sqlite:///{tmp / 'tickets.db'}"),
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    rows = [json.loads(ln) for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert proc.returncode == 0 and len(rows) == calls, proc.stdout + proc.stderr
    assert all(r["sip_call_id"] and r["end_reason"] == "transferred" for r in rows), rows
    workers = {r["worker_id"] for r in rows}
    assert workers == ({1, 2} if calls > 1 else {0}), rows


def _run_calls(lan: Lan, tmp: Path, data_dir: Path, serve_extra: list[str],
               ready_line: str, calls: int = 1, rtp_range: tuple[int, int] | None = None,
               ) -> None:
    env = _env(data_dir)
    greeting_s = _greeting_s(data_dir)
    started: list[Proc] = []
    try:
        desk = _start(lan, "desk", ivr_argv("desk", "--bind", lan.addresses["desk"],
                                            "--sip-port", str(DESK_PORT), "--json",
                                            "--hold-s", "2"), env, tmp / "desk.log", started)
        agent = _start(lan, "agent", _serve_argv(lan, tmp, serve_extra), env,
                       tmp / "agent.log", started)
        assert agent.wait_for(lambda ln: ready_line in ln, START_TIMEOUT_S), agent.tail()
        person_at = greeting_s + 0.5 + SPEECH_S + 1.5
        callers = []
        for k in range(calls):
            play = _caller_audio(tmp, f"talk{k}", greeting_s)
            record = tmp / f"heard{k}.wav"
            argv = _call_argv(lan, play, record, person_at, person_at + 8)
            callers.append((_start(lan, "caller", argv, env, tmp / f"caller{k}.log", started),
                            record))
            time.sleep(0.3)
        if rtp_range is not None:
            time.sleep(2.0)  # answered: every call has its RTP/RTCP pair
            ports = _rtp_ports_in_use(lan)
            print(f"RTP/RTCP ports in use on the agent host: {sorted(ports)}")
            assert len(ports) >= 2 * calls, ports
            assert all(rtp_range[0] <= p <= rtp_range[1] for p in ports), (ports, rtp_range)
        for caller, record in callers:
            _check_caller(caller, record, greeting_s)
        deadline = time.monotonic() + 20
        while True:
            lines = [ln for ln in agent.lines if TRANSFERRED_LINE.search(ln)]
            if len(lines) >= calls or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(lines) == calls, agent.tail(80)
        for line in lines:
            _check_agent_line(data_dir, line, calls > 1)
        _check_call_register(tmp, env, calls)
        incoming = [ln for ln in desk.lines if '"incoming"' in ln]
        assert len(incoming) == calls, desk.tail()
    finally:
        for proc in reversed(started):
            proc.stop()


def test_remote_caller_and_single_agent_hear_each_other_and_reach_the_desk(
        make_lan, net_data_dir, tmp_path) -> None:
    lan = make_lan(["agent", "caller", "desk"])
    _run_calls(lan, tmp_path, net_data_dir, [], "ready")


def test_workers_behind_kamailio_give_remote_callers_two_way_audio(
        make_lan, net_data_dir, tmp_path) -> None:
    """`ivr serve --workers 2`: Kamailio relays SIP only, so each worker's RTP must bind to and
    advertise an address the caller can reach (not the workers' loopback SIP address)."""
    lan = make_lan(["agent", "caller", "desk"])
    low, high = 41000, 41031  # 16 ports per worker: 4 calls x RTP + RTCP, twice over
    extra = ["--workers", "2", "--set", f"sip.rtp_port_min={low}",
             "--set", f"sip.rtp_port_max={high}"]
    _run_calls(lan, tmp_path, net_data_dir, extra, "[worker 2] ready", calls=2,
               rtp_range=(low, high))
