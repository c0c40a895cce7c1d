"""CPU per call of the SIP layer under sipp's uac_pcap load; prints figures, asserts nothing.

Modes (both run here, one agent process each):
  bare  the pjsua2 agent only answers: no Python media port (the floor)
  port  our CallMediaPort per call: every 20 ms frame copied (ctypes) to call.frames_in and
        drained by a Python thread, silence played back (the SIP layer's own cost)
The full-media half (analysis, VAD, recogniser) is the session's and is added by the lead.

Usage: .venv/bin/python bench/capacity.py [--seconds 30] [--calls 4] [--modes bare,port]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
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

    engine = SipEngine(SipConfig(port=0, no_media_timeout_s=0.0), Hooks())
    engine.start()
    print(json.dumps({"port": engine.ports["udp"]}), flush=True)
    sys.stdin.read()
    engine.stop()
    print(json.dumps({"frames": frames[0]}), flush=True)
    return 0


def measure(mode: str, seconds: float, calls: int) -> dict[str, float]:
    agent = subprocess.Popen(
        [sys.executable, __file__, "--agent", mode], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert agent.stdout is not None and agent.stdin is not None
        port = json.loads(agent.stdout.readline())["port"]
        total = max(calls, round(seconds / UAC_PCAP_CALL_S) * calls)
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "pcap").symlink_to(PCAP_DIR)
            cpu0, t0 = cpu_seconds(agent.pid), time.monotonic()
            proc = subprocess.run(
                ["sipp", f"127.0.0.1:{port}", "-sn", "uac_pcap", "-s", "ivr", "-i",
                 "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()),
                 "-l", str(calls), "-m", str(total), "-r", "100", "-timeout", str(seconds * 3 + 60),
                 "-nostdin"],
                cwd=tmp, capture_output=True, text=True,
            )
            wall = time.monotonic() - t0
            cpu = cpu_seconds(agent.pid) - cpu0
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="load duration (default 30)")
    parser.add_argument("--calls", type=int, default=4, help="simultaneous calls (default 4)")
    parser.add_argument("--modes", default="bare,port", help="comma list of bare, port")
    parser.add_argument("--agent", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.agent:
        return agent_main(args.agent)
    if shutil.which("sipp") is None or not (PCAP_DIR / "g711a.pcap").exists():
        print("bench/capacity.py needs sipp and its pcaps (Debian sip-tester)", file=sys.stderr)
        return 2
    results = [measure(mode, args.seconds, args.calls) for mode in args.modes.split(",")]
    print(f"{args.calls} simultaneous sipp uac_pcap calls (G.711 A-law), about "
          f"{args.seconds:.0f} s, {os.cpu_count()} cores")
    print(f"{'mode':<6} {'calls':>5} {'wall s':>7} {'cpu s':>6} {'% core':>7} {'%/call':>7} "
          f"{'frames':>7} sipp")
    for r in results:
        print(f"{r['mode']:<6} {r['calls_total']:>5} {r['wall_s']:>7.1f} {r['cpu_s']:>6.2f} "
              f"{r['cpu_pct_of_core']:>7.2f} {r['cpu_pct_per_call']:>7.2f} {r['frames']:>7} "
              f"{'ok' if r['sipp_exit'] == 0 else 'exit ' + str(r['sipp_exit'])}")
    if len(results) == 2 and results[0]["cpu_s"] > 0:
        print(f"port / bare CPU ratio: {results[1]['cpu_s'] / results[0]['cpu_s']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
