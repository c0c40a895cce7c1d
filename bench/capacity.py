"""CPU per call of the SIP layer under sipp's uac_pcap load; prints figures, asserts nothing.

Modes (both run here, one agent process each):
  bare  the pjsua2 agent only answers: no Python media port (the floor)
  port  our CallMediaPort per call: every 20 ms frame copied (ctypes) to call.frames_in and
        drained by a Python thread, silence played back (the SIP layer's own cost)
  full  the real agent, `ivr serve`: per call a CallSession with the line monitor (levels,
        guarded VAD, noise floor), the speech segmenter, the policy and prompt playback; the
        recogniser too when a model for the locale is installed (none for zh-CN by default)
Frame figures of the full agent come from its log: at the end of every call the session logs
"frame timing: N frames, processing p50 X us p99 Y us, late K" (processing = the session
thread's work on one 20 ms frame; late = frames that waited more than 20 ms in its inbox).

Usage: .venv/bin/python bench/capacity.py [--seconds 30] [--calls 4] [--modes bare,port,full]
       [--data-dir DIR]   (the full agent's IVR_DATA_DIR: prompts render there once, ~20 s)
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PCAP_DIR = Path("/usr/share/sip-tester")
UAC_PCAP_CALL_S = 9.5  # the built-in scenario: 8 s of audio, a digit, 1 s pause, BYE
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def agent_main(mode: str) -> int:
    """The agent process: answer everything, with or without media ports."""
    from ivr.sip import Accept, AgentCall, SipConfig
    from ivr.sip.engine import SipEngine

    frames = [0]

    def drain(call: AgentCall) -> None:
        while call.is_active:
            try:
                call.frames_in.get(timeout=0.5)
                frames[0] += 1
            except queue.Empty:
                continue

    class Hooks:
        def on_incoming(self, info: object) -> Accept:
            return Accept(media=mode == "port")

        def on_new_call(self, call: AgentCall) -> None:
            if mode == "port":
                threading.Thread(target=drain, args=(call,), daemon=True).start()

        def on_registration(self, ok: bool, code: int, reason: str) -> None:
            return None

    engine = SipEngine(SipConfig(port=0, no_media_timeout_s=0.0,
                                 unconfirmed_per_source_count=4), Hooks())
    engine.start()
    print(json.dumps({"port": engine.ports["udp"]}), flush=True)
    sys.stdin.read()
    engine.stop()
    print(json.dumps({"frames": frames[0]}), flush=True)
    return 0


def sipp_load(port: int, pid: int, seconds: float, calls: int
              ) -> tuple[int, subprocess.CompletedProcess[str], float, float]:
    """`calls` simultaneous uac_pcap calls for about `seconds`: (calls placed, sipp, wall s,
    CPU s of process `pid` over the run)."""
    total = max(calls, round(seconds / UAC_PCAP_CALL_S) * calls)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pcap").symlink_to(PCAP_DIR)
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        proc = subprocess.run(
            ["sipp", f"127.0.0.1:{port}", "-sn", "uac_pcap", "-s", "ivr", "-i",
             "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()),
             "-l", str(calls), "-m", str(total), "-r", "100", "-timeout", str(seconds * 3 + 60),
             "-nostdin"],
            cwd=tmp, capture_output=True, text=True,
        )
        wall = time.monotonic() - t0
        cpu = cpu_seconds(pid) - cpu0
    return total, proc, wall, cpu


def measure(mode: str, seconds: float, calls: int) -> dict[str, float]:
    agent = subprocess.Popen(
        [sys.executable, __file__, "--agent", mode], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert agent.stdout is not None and agent.stdin is not None
        port = json.loads(agent.stdout.readline())["port"]
        total, proc, wall, cpu = sipp_load(port, agent.pid, seconds, calls)
        agent.stdin.close()
        tail = agent.stdout.read().strip().splitlines()
        frames = json.loads(tail[-1]).get("frames", 0) if tail else 0
        agent.wait(timeout=20)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
    return {"mode": mode, "calls_total": total, "sipp_exit": proc.returncode, "wall_s": wall,
            "cpu_s": cpu, "cpu_pct_of_core": 100 * cpu / wall,
            "cpu_pct_per_call": 100 * cpu / wall / calls, "frames": frames}


FRAME_TIMING = re.compile(
    r"frame timing: (\d+) frames, processing p50 (\d+) us p99 (\d+) us, late (\d+)")
AGENT_READY_TIMEOUT_S = 300.0


def measure_full(seconds: float, calls: int, data_dir: Path) -> dict[str, float]:
    """The real agent (`ivr serve`) under the same load; frame figures from its log."""
    port = free_port()
    env = dict(os.environ, IVR_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    agent = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "serve", "--bind", "127.0.0.1", "--sip-port", str(port),
         "--db", f"sqlite:///{data_dir / 'bench-tickets.db'}",
         # sipp plays every caller from one address: lift the per-source cap (docs/security.md)
         "--set", "sip.unconfirmed_per_source_count=4"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert agent.stdout is not None
        for line in agent.stdout:
            lines.append(line.rstrip("\n"))
            if line.strip() == "ready":
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not ready.wait(AGENT_READY_TIMEOUT_S):
            raise RuntimeError("ivr serve did not get ready:\n" + "\n".join(lines[-20:]))
        total, proc, wall, cpu = sipp_load(port, agent.pid, seconds, calls)
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=60)
        reader.join(timeout=5)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
    timings = [tuple(int(x) for x in m.groups()) for m in map(FRAME_TIMING.search, lines) if m]
    frames = sum(t[0] for t in timings)
    return {"mode": "full", "calls_total": total, "sipp_exit": proc.returncode, "wall_s": wall,
            "cpu_s": cpu, "cpu_pct_of_core": 100 * cpu / wall,
            "cpu_pct_per_call": 100 * cpu / wall / calls, "frames": frames,
            "calls_timed": len(timings),
            # per-call p50s: their median; per-call p99s: the worst call's
            "p50_us": sorted(t[1] for t in timings)[len(timings) // 2] if timings else -1,
            "p99_us": max((t[2] for t in timings), default=-1),
            "late": sum(t[3] for t in timings)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="load duration (default 30)")
    parser.add_argument("--calls", type=int, default=4, help="simultaneous calls (default 4)")
    parser.add_argument("--modes", default="bare,port,full",
                        help="comma list of bare, port, full (default: all three)")
    parser.add_argument("--data-dir", type=Path,
                        help="IVR_DATA_DIR of the full agent (default: a temporary directory)")
    parser.add_argument("--agent", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.agent:
        return agent_main(args.agent)
    if shutil.which("sipp") is None or not (PCAP_DIR / "g711a.pcap").exists():
        print("bench/capacity.py needs sipp and its pcaps (Debian sip-tester)", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes.split(","):
            if mode == "full":
                results.append(measure_full(args.seconds, args.calls, args.data_dir or Path(tmp)))
            else:
                results.append(measure(mode, args.seconds, args.calls))
    print(f"{args.calls} simultaneous sipp uac_pcap calls (G.711 A-law), about "
          f"{args.seconds:.0f} s, {os.cpu_count()} cores")
    print(f"{'mode':<6} {'calls':>5} {'wall s':>7} {'cpu s':>6} {'% core':>7} {'%/call':>7} "
          f"{'frames':>7} sipp")
    for r in results:
        print(f"{r['mode']:<6} {r['calls_total']:>5} {r['wall_s']:>7.1f} {r['cpu_s']:>6.2f} "
              f"{r['cpu_pct_of_core']:>7.2f} {r['cpu_pct_per_call']:>7.2f} {r['frames']:>7} "
              f"{'ok' if r['sipp_exit'] == 0 else 'exit ' + str(r['sipp_exit'])}")
    by_mode = {r["mode"]: r for r in results}
    for r in results:
        if r["mode"] == "full":
            print(f"full agent frames: {r['calls_timed']} calls timed, session processing per "
                  f"20 ms frame p50 {r['p50_us']} us (median over calls), p99 {r['p99_us']} us "
                  f"(worst call), {r['late']} late frames (queued > 20 ms)")
    bare = by_mode.get("bare")
    if bare and bare["cpu_s"] > 0:
        for mode in ("port", "full"):
            if mode in by_mode:
                print(f"{mode} / bare CPU ratio: {by_mode[mode]['cpu_s'] / bare['cpu_s']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
