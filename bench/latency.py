"""Latency on the wire: RTP packet times on loopback, caller side, for one `ivr serve` agent.

sipp places --calls calls at once (at most 4: one agent process), half of them talking:
  1. silent through the greeting, the menu and the silent ladder's first re-prompt,
  2. talk (sipp's g711a.pcap, 8 s of speech), then are silent again,
  3. press 1 (RFC 2833, dtmf_2833_1.pcap) later on;
and half silent all along (the silent-call ladder runs to its end).
A raw packet socket on `lo` (root) timestamps every UDP packet. Per call it measures:
  * end of caller speech (last loud caller RTP packet of the speech) -> first loud RTP packet
    of the reply, split into stages from the agent's log (`call X t=... event/action` lines,
    t counted from the answer, the 200 OK's packet time on the wire):
      hang-over      vad.hangover_ms (the segmenter's wait for silence; configured)
      recogniser     the rest until the session delivered SpeechEnded (jitter buffer + final
                     result; ~0 without a recogniser)
      policy         SpeechEnded -> the Play action
      prompt start   the Play action -> the first loud reply packet on the wire
  * DTMF: first RFC 2833 packet of the digit -> first loud reply packet after it;
  * silent-call ladder gaps: end of one agent phrase -> start of the next, on the silent part
    before the caller talks (standard: 5.000 s).
It prints distributions (p50/p95/p99/max) and each stage's share of the total.

    sudo .venv/bin/python bench/latency.py --calls 4             # in-process recogniser if any
    sudo .venv/bin/python bench/latency.py --calls 4 --asr-service   # Korean model, service
    sudo .venv/bin/python bench/latency.py --quick               # 1 call: proves it runs

Needs root (AF_PACKET), sipp and sip-tester's pcaps.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "sip"))

from capacity import free_port, start_service  # noqa: E402
from sipp_uac import PCMA_AND_DTMF, pause, play_pcap, uac_scenario  # noqa: E402

from ivr.media.g711 import alaw_decode, mulaw_decode  # noqa: E402

PCAP = Path("/usr/share/sip-tester")
SPEECH_PCAP_S = 8.0
LOUD_DBFS = -45.0  # a packet louder than this carries speech / a prompt
QUIET_GAP_S = 0.6  # quieter than LOUD for this long ends a phrase
REPLY_QUIET_S = 0.06  # the agent was quiet this long (3 packets) before a phrase or digit ended
ANSWER_WINDOW_S = 3.0  # a loud packet later than this after it is not its answer
LADDER_GAP_MIN_S = 2.0  # shorter quiet runs are pauses inside a phrase, not ladder gaps
REPLY_S = 8.0  # the agent's answer to the caller's speech ("please repeat" + the menu), about
ETH_P_ALL = 0x0003
RTP_PT_PCMU, RTP_PT_PCMA = 0, 8
RTP_PT_EVENT = 101  # telephone-event, as the scenario offers it
LOG_LINE = re.compile(r"call (\w+) t=([\d.]+) (event|action) (\w+)\(")
ANSWER_LINE = re.compile(r"call (\w+) from .* answered after")



def caller_scenario(pcaps: Path, silent_ms: int, talk_wait_ms: int, after_dtmf_ms: int,
                    talking: bool) -> str:
    """A talking caller (silence, speech, a digit later) or a silent one (the ladder ends it)."""
    steps = [pause(silent_ms)]
    if talking:
        steps += [play_pcap(f"{pcaps}/g711a.pcap"), pause(talk_wait_ms),
                  play_pcap(f"{pcaps}/dtmf_2833_1.pcap"), pause(after_dtmf_ms)]
    return uac_scenario("latency caller", steps, PCMA_AND_DTMF, bye_answer_optional=True)


@dataclass
class Packet:
    t: float
    src: int
    dst: int
    payload: bytes


@dataclass
class Capture:
    packets: list[Packet] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        sock.bind(("lo", 0))
        sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                frame, addr = sock.recvfrom(65535)
            except TimeoutError:
                continue
            t = time.monotonic()
            if addr[2] == socket.PACKET_OUTGOING:
                continue  # loopback shows each packet twice; keep the incoming copy
            ip = frame[14:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_UDP:
                continue
            ihl = (ip[0] & 0x0F) * 4
            src, dst = struct.unpack("!HH", ip[ihl:ihl + 4])
            self.packets.append(Packet(t, src, dst, ip[ihl + 8:]))
        sock.close()


def rtp_level_dbfs(payload: bytes) -> float | None:
    """Level of a G.711 RTP packet; None for other payload types (telephone-event)."""
    if len(payload) < 13 or payload[0] >> 6 != 2:
        return None
    pt = payload[1] & 0x7F
    body = np.frombuffer(payload[12:], dtype=np.uint8)
    if pt == RTP_PT_PCMA:
        pcm = alaw_decode(body)
    elif pt == RTP_PT_PCMU:
        pcm = mulaw_decode(body)
    else:
        return None
    rms = float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2))) if len(pcm) else 0.0
    return 20 * np.log10(max(rms, 1.0) / 32768)


def phrases(packets: list[Packet]) -> list[tuple[float, float]]:
    """(start, end) of loud runs, split by QUIET_GAP_S of quiet packets."""
    runs: list[tuple[float, float]] = []
    for p in packets:
        level = rtp_level_dbfs(p.payload)
        if level is None or level < LOUD_DBFS:
            continue
        if runs and p.t - runs[-1][1] < QUIET_GAP_S:
            runs[-1] = (runs[-1][0], p.t)
        else:
            runs.append((p.t, p.t))
    return runs


def loud_times(packets: list[Packet]) -> list[float]:
    """Times of the loud packets (speech or a prompt)."""
    return [p.t for p in packets if (level := rtp_level_dbfs(p.payload)) is not None
            and level >= LOUD_DBFS]


def answer_after(loud: list[float], t: float) -> float | None:
    """The first loud packet after `t` (within ANSWER_WINDOW_S), if the agent was quiet for
    the REPLY_QUIET_S before `t`: an answer to what happened at `t`, not a prompt going on."""
    i = bisect.bisect_right(loud, t)
    if i and loud[i - 1] > t - REPLY_QUIET_S:
        return None
    if i == len(loud) or loud[i] - t > ANSWER_WINDOW_S:
        return None
    return loud[i]


def stats(values: list[float]) -> str:
    if not values:
        return "no samples"
    a = np.array(values) * 1000
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return (f"n={len(a)} p50 {p50:.0f} ms p95 {p95:.0f} ms p99 {p99:.0f} ms "
            f"max {a.max():.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=4, help="simultaneous calls (<= 4)")
    parser.add_argument("--rounds", type=int, default=3, help="batches of --calls calls")
    parser.add_argument("--asr-service", action="store_true",
                        help="recognition through a recogniser service with the Korean model")
    parser.add_argument("--silent-s", type=float, default=21.0,
                        help="silence before the caller talks (greeting, menu, one re-prompt)")
    parser.add_argument("--quick", action="store_true", help="2 calls (1 talking), 1 round")
    parser.add_argument("--data-dir", type=Path, help="IVR_DATA_DIR (prompts render once)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--keep-log", type=Path, metavar="PATH",
                        help="copy the agent's log here (call timelines, for a failed run)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench/latency.py needs root for the packet socket", file=sys.stderr)
        return 2
    if args.quick:
        args.calls, args.rounds = 2, 1
    with tempfile.TemporaryDirectory(prefix="ivr-latency-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        return run(args, data_dir, Path(tmp))


def run(args: argparse.Namespace, data_dir: Path, tmp: Path) -> int:
    from ivr.config import load_settings

    settings = load_settings()
    hangover_s = settings.vad.hangover_ms / 1000
    port = free_port()
    # The recording's speech ends in several segments, each a "miss" without a model: allow
    # enough of them that the caller is not transferred (a REFER sipp cannot follow) before
    # the digit.
    extra = ["--set", "sip.no_media_timeout_s=0", "--set", "dialogue.max_call_s=900",
             "--set", "dialogue.intent_attempts_count=5"]
    for assignment in args.set:
        extra += ["--set", assignment]
    service = None
    pcaps, speech_s = PCAP, SPEECH_PCAP_S
    if args.asr_service:
        from bench import ko_locale

        # The Korean model hears Korean: Korean keywords in its lexicon and a Korean caller
        # (bench/ko_locale.py), so the dialogue steps after the first words use a grammar.
        extra += ko_locale.serve_overrides()
        pcaps = ko_locale.pcap_dir(tmp, ko_locale.LATENCY_SCRIPT)
        speech_s = len(ko_locale.caller_audio(8000, ko_locale.LATENCY_SCRIPT)) / 8000
        service, sock = start_service(data_dir)
        extra += ["--set", f'asr.service_socket="{sock}"']
    env = dict(os.environ, IVR_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    log_path = tmp / "agent.log"
    with open(log_path, "w") as out:
        agent = subprocess.Popen(
            [sys.executable, "-m", "ivr.cli", "serve", "--bind", "127.0.0.1", "--sip-port",
             str(port), "--db", f"sqlite:///{data_dir / 'latency.db'}", *extra],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    cap = Capture()
    sniffer = threading.Thread(target=cap.run, daemon=True)
    try:
        deadline = time.monotonic() + 300
        # the agent prints a line "ready" ("prompts: 20/128 ready" is not it)
        while (not re.search(r"^ready$", log_path.read_text(), re.M)
               and time.monotonic() < deadline):
            if agent.poll() is not None:
                raise SystemExit("ivr serve exited:\n" + log_path.read_text()[-2000:])
            time.sleep(0.2)
        else:
            if time.monotonic() >= deadline:
                raise SystemExit("ivr serve not ready in 300 s:\n" + log_path.read_text()[-2000:])
        sniffer.start()
        talking = tmp / "talking.xml"
        # the digit comes after the agent's answer to the speech, before its answer timer
        talk_wait_ms = int((speech_s + REPLY_S + 2.0) * 1000)
        talking.write_text(caller_scenario(pcaps, int(args.silent_s * 1000), talk_wait_ms,
                                           8000, talking=True))
        silent = tmp / "silent.xml"  # no audio at all: the ladder ends the call
        silent.write_text(caller_scenario(pcaps, 60000, 0, 0, talking=False))
        media_ports = []
        n_talk = args.calls - args.calls // 2
        for _ in range(args.rounds):
            sipps = []
            for scenario, n in ((talking, n_talk), (silent, args.calls - n_talk)):
                if n <= 0:
                    continue
                mp = free_port()
                media_ports.append(mp)
                sipps.append(subprocess.Popen(
                    ["sipp", f"127.0.0.1:{port}", "-sf", str(scenario), "-i", "127.0.0.1",
                     "-p", str(free_port()), "-mp", str(mp), "-m", str(n), "-l", str(n),
                     "-r", str(n), "-nostdin", "-timeout", "300s"], cwd=tmp,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            for proc in sipps:
                proc.wait(400)
    finally:
        cap.stop.set()
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(60)
        except subprocess.TimeoutExpired:
            agent.kill()
        if service is not None:
            service.kill()
            service.wait()
    if args.keep_log:
        shutil.copyfile(log_path, args.keep_log)
    return report(args, cap.packets, log_path.read_text(), media_ports, hangover_s)


def report(args: argparse.Namespace, packets: list[Packet], log_text: str,
           media_ports: list[int], hangover_s: float) -> int:
    load = os.getloadavg()
    print(f"latency on the wire: {args.calls} calls x {args.rounds} rounds, recognition "
          f"{'service (Korean model)' if args.asr_service else 'as configured'}; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    # sipp's media streams: each call's RTP comes from one source port (pcap playback uses
    # the media port family); group by the agent's port that talks to sipp.
    agent_to_caller: dict[int, list[Packet]] = {}
    caller_to_agent: dict[int, list[Packet]] = {}
    for p in packets:
        if len(p.payload) < 12 or p.payload[0] >> 6 != 2:
            continue
        if any(p.dst in (mp, mp + 2, mp + 4, mp + 6) for mp in media_ports):
            agent_to_caller.setdefault(p.src, []).append(p)
        elif any(p.src in (mp, mp + 2, mp + 4, mp + 6) for mp in media_ports) or \
                p.payload[1] & 0x7F == RTP_PT_EVENT:
            caller_to_agent.setdefault(p.dst, []).append(p)
    reply_ms: list[float] = []
    dtmf_ms: list[float] = []
    dtmf_end_ms: list[float] = []
    gaps: list[float] = []
    stages: dict[str, list[float]] = {"hang-over": [], "recogniser": [], "policy": [],
                                      "prompt start": []}
    timelines = agent_timelines(log_text)
    digits_seen = digits_skipped = 0
    for agent_port, outgoing in agent_to_caller.items():
        incoming = caller_to_agent.get(agent_port, [])
        agent_runs = phrases(outgoing)
        caller_runs = phrases([p for p in incoming if p.payload[1] & 0x7F != RTP_PT_EVENT])
        if not agent_runs:
            continue
        if not caller_runs:  # a silent call: the whole ladder
            gaps += [b[0] - a[1] for a, b in itertools.pairwise(agent_runs)
                     if b[0] - a[1] >= LADDER_GAP_MIN_S]
            continue
        loud = loud_times(outgoing)
        # every phrase of the caller that the agent answers: the caller talks over prompts
        # (barge-in stops them), so a reply is the first loud packet after the phrase's end
        # once the agent has been quiet for REPLY_QUIET_S before that end
        for _, speech_end in caller_runs:
            reply = answer_after(loud, speech_end)
            if reply is None:
                continue
            reply_ms.append(reply - speech_end)
            split = stage_split(timelines, outgoing[0].t, speech_end, reply, hangover_s)
            for name, value in split.items():
                stages[name].append(value)
        events = [p for p in incoming if p.payload[1] & 0x7F == RTP_PT_EVENT]
        if events:
            digit = events[0].t
            # the RFC 2833 end packet (E bit): sipp's digit lasts 140 ms
            end = next((p.t for p in events if len(p.payload) > 13 and p.payload[13] & 0x80),
                       None)
            digits_seen += 1
            after = answer_after(loud, digit)
            if after is None:  # a digit while the agent talks measures barge-in, not a reply
                digits_skipped += 1
            else:
                dtmf_ms.append(after - digit)
                if end is not None and after >= end:
                    dtmf_end_ms.append(after - end)
    print(f"end of caller speech -> first reply packet: {stats(reply_ms)} (target p95 600 ms)")
    total = sum(np.mean(v) for v in stages.values() if v)
    for name, values in stages.items():
        if values:
            share = 100 * np.mean(values) / total if total else 0.0
            print(f"  {name:<13} mean {np.mean(values) * 1000:6.0f} ms  {share:5.1f} % of the "
                  f"reply time")
    print(f"DTMF -> first prompt packet: {stats(dtmf_ms)} (target p95 100 ms); digits on the "
          f"wire {digits_seen}, pressed while the agent talked (left out) {digits_skipped}")
    print(f"  from the digit's END packet instead: {stats(dtmf_end_ms)} (near 0: the agent acts "
          "on the digit when it ends, not when it starts)")
    ends = re.findall(r"ended after ([\d.]+) s: (\w+)", log_text)
    print("calls ended (agent's log): " + (", ".join(f"{r} after {float(d):.0f} s"
                                                      for d, r in ends) or "none logged"))
    print(f"silent-call ladder gaps (last loud packet of a phrase -> first of the next): "
          f"{stats(gaps)} (standard 5.000 s +/- 40 ms p99; a phrase's own trailing quiet "
          "counts here)")
    timer_gaps = ladder_timer_gaps(log_text)
    print(f"silent-call ladder gaps on the agent's clock (PromptFinished -> the ladder's next "
          f"step): {stats(timer_gaps)}")
    summary(args, reply_ms, dtmf_ms, gaps, timer_gaps)
    return 0


def p_ms(values: list[float], q: float) -> float | None:
    return float(np.percentile(np.array(values) * 1000, q)) if values else None


def summary(args: argparse.Namespace, reply_ms: list[float], dtmf_ms: list[float],
            gaps: list[float], timer_gaps: list[float]) -> None:
    """Issue 16's target 4 against this run (the target is 100 calls under the capacity load;
    this agent holds 4: the figures are per-call latencies at this run's load)."""
    from bench import targets as tg

    def deviation(values: list[float]) -> float | None:
        if not values:
            return None
        dev = np.abs(np.array(values) - tg.LADDER_GAP_S) * 1000
        return float(np.percentile(dev, 99))

    how = f"{args.calls} calls x {args.rounds} rounds, one agent"
    recognition = "Korean model via the service, grammar mode" if args.asr_service \
        else "recogniser as configured"
    tg.print_summary("bench/latency.py", [
        tg.at_most("4 end of speech -> reply, p95", p_ms(reply_ms, 95), tg.REPLY_P95_MS_MAX,
                   "ms", ".0f", f"{how}; {recognition}"),
        tg.at_most("4 DTMF -> prompt, p95", p_ms(dtmf_ms, 95), tg.DTMF_P95_MS_MAX, "ms", ".0f",
                   how),
        tg.at_most("4 ladder gap |gap - 5 s|, p99 (wire)", deviation(gaps),
                   tg.LADDER_TOLERANCE_MS, "ms", ".0f",
                   "wire: includes each phrase's own trailing quiet"),
        tg.at_most("4 ladder gap |gap - 5 s|, p99 (agent clock)", deviation(timer_gaps),
                   tg.LADDER_TOLERANCE_MS, "ms", ".0f", "timer accuracy alone"),
    ])


LADDER_LINE = re.compile(r"call (\w+) t=([\d.]+) event (PromptFinished|TimerFired\(name=ladder)")


def ladder_timer_gaps(log_text: str) -> list[float]:
    """On each call's own clock (the log's t, 10 ms steps): a phrase's PromptFinished -> the
    ladder's TimerFired that plays the next phrase."""
    finished: dict[str, float] = {}
    out = []
    for m in LADDER_LINE.finditer(log_text):
        call, t, what = m.group(1), float(m.group(2)), m.group(3)
        if what == "PromptFinished":
            finished[call] = t
        elif call in finished:
            out.append(t - finished.pop(call))
    return out


def agent_timelines(log_text: str) -> list[list[tuple[float, str, str]]]:
    """Per call, in answer order: (t, event/action, name) from the session's log lines."""
    calls: dict[str, list[tuple[float, str, str]]] = {}
    order: list[str] = []
    for m in LOG_LINE.finditer(log_text):
        cid = m.group(1)
        if cid not in calls:
            calls[cid] = []
            order.append(cid)
        calls[cid].append((float(m.group(2)), m.group(3), m.group(4)))
    return [calls[c] for c in order]


def stage_split(timelines: list[list[tuple[float, str, str]]], first_packet: float,
                speech_end: float, reply: float | None, hangover_s: float) -> dict[str, float]:
    """Stages of one reply from the agent's own clock (t since answer), mapped onto the wire
    through the first packet the agent sent (the greeting starts at answer, t = 0). The call is
    matched as the timeline whose SpeechEnded lies closest after the caller's speech end."""
    if reply is None:
        return {}
    best: dict[str, float] = {}
    best_err = float("inf")
    for timeline in timelines:
        ends = [t for t, kind, name in timeline if kind == "event" and name == "SpeechEnded"]
        for t_end in ends:
            wall_end = first_packet + t_end
            err = abs(wall_end - speech_end - hangover_s)
            if err >= best_err or wall_end < speech_end:
                continue
            plays = [t for t, kind, name in timeline
                     if kind == "action" and name in ("Play", "Say") and t >= t_end]
            if not plays:
                continue
            wall_play = first_packet + plays[0]
            best_err = err
            best = {"hang-over": hangover_s,
                    "recogniser": max(0.0, wall_end - speech_end - hangover_s),
                    "policy": wall_play - wall_end,
                    "prompt start": max(0.0, reply - wall_play)}
    return best


if __name__ == "__main__":
    sys.exit(main())
