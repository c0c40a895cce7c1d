"""sipp (Debian sip-tester) against the real agent: pcap audio, RFC 2833 menu digits, load."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2ekit import OPEN_HOURS, SCENARIOS, Agent, free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sip"))
from test_sip_robustness import sipp_counter  # (the SIP layer's test helper)

pytestmark = [pytest.mark.sip]

LOAD_CALLS_COUNT = 200
LOAD_WARMUP_CALLS_COUNT = 20
RSS_GROWTH_LIMIT = 0.10


def run_sipp(agent: Agent, workdir: Path, scenario: list[str], *, calls: int = 1,
             extra: list[str] = (), timeout_s: float = 120.0  # type: ignore[assignment]
             ) -> subprocess.CompletedProcess[str]:
    sipp = shutil.which("sipp")
    assert sipp is not None
    return subprocess.run(
        [sipp, f"127.0.0.1:{agent.port}", *scenario, "-s", "ivr", "-i", "127.0.0.1",
         "-p", str(free_port()), "-mp", str(free_port()), "-m", str(calls),
         "-timeout", f"{int(timeout_s) - 10}", "-timeout_error", "-nostdin", *extra],
        cwd=workdir, capture_output=True, text=True, timeout=timeout_s,
    )


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def wait_idle(agent: Agent, finished: int, timeout_s: float = 20.0) -> dict[str, object]:
    """/health once the agent holds no call and has finished `finished` calls."""
    deadline = time.monotonic() + timeout_s
    while True:
        health = agent.health()
        if health["calls"] == 0 and health["calls_finished"] >= finished:
            return health
        if time.monotonic() > deadline:
            return health
        time.sleep(0.2)


@pytest.mark.slow
def test_sipp_uac_pcap_completes_against_the_agent(start_agent, sipp_dir: Path) -> None:
    """Built-in uac_pcap: G.711 A-law speech from pcap/g711a.pcap, then digit 1, then BYE."""
    agent = start_agent(overrides=OPEN_HOURS)
    proc = run_sipp(agent, sipp_dir, ["-sn", "uac_pcap"], timeout_s=60)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-1000:]
    assert sipp_counter(proc.stdout, "Successful call") == 1
    line = agent.wait_call_line(timeout_s=20)
    assert line is not None, agent.proc.tail()
    timeline = agent.timeline(line)
    assert timeline["end_reason"] == "caller_hangup", timeline["end_reason"]
    whats = [s["what"] for s in timeline["timeline"]]
    assert any(w.startswith("SpeechStarted") for w in whats), whats  # the pcap's speech
    assert any("Dtmf(digit=1" in w for w in whats), whats


@pytest.mark.parametrize(("digit", "prompt_id"), [("1", "complaint_apology"),
                                                  ("3", "suggestion_ask")])
def test_rfc2833_pcap_digit_selects_the_menu_item(start_agent, sipp_dir: Path, digit: str,
                                                   prompt_id: str) -> None:
    agent = start_agent(overrides=OPEN_HOURS)
    proc = run_sipp(agent, sipp_dir, ["-sf", str(SCENARIOS / f"menu_digit_{digit}.xml")],
                    timeout_s=60)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-1000:]
    line = agent.wait_call_line(timeout_s=20)
    assert line is not None, agent.proc.tail()
    steps = agent.timeline(line)["timeline"]
    dtmf = [i for i, s in enumerate(steps) if s["what"].startswith(f"Dtmf(digit={digit}")]
    assert dtmf, [s["what"] for s in steps]
    after = [s["what"] for s in steps[dtmf[0]:]]
    assert any(w.startswith(f"Play(prompt_id={prompt_id}") for w in after), after
    # The digit came during the greeting (1.5 s in), as the scenario says.
    assert 1.0 < steps[dtmf[0]]["t"] < 5.0, steps[dtmf[0]]


@pytest.mark.slow
def test_load_200_calls_4_at_once_then_a_fifth_gets_486(start_agent, sipp_dir: Path) -> None:
    """200 short calls (INVITE, ACK, 1 s pause, BYE), 4 at a time: all answered and ended,
    nothing held afterwards, memory flat; then 5 at once: the fifth gets 486, no crash."""
    agent = start_agent(overrides=OPEN_HOURS)
    uac = ["-sn", "uac", "-d", "1000", "-l", "4", "-r", "20"]
    first = run_sipp(agent, sipp_dir, uac, calls=LOAD_WARMUP_CALLS_COUNT, timeout_s=60)
    assert sipp_counter(first.stdout, "Successful call") == LOAD_WARMUP_CALLS_COUNT, (
        first.stdout[-2000:])
    health = wait_idle(agent, LOAD_WARMUP_CALLS_COUNT)
    assert health["calls"] == 0, health
    rss_warm = rss_kib(agent.proc.pid)

    rest = LOAD_CALLS_COUNT - LOAD_WARMUP_CALLS_COUNT
    second = run_sipp(agent, sipp_dir, uac, calls=rest, timeout_s=180)
    assert sipp_counter(second.stdout, "Successful call") == rest, second.stdout[-2000:]
    assert sipp_counter(second.stdout, "Failed call") == 0, second.stdout[-2000:]
    health = wait_idle(agent, LOAD_CALLS_COUNT)
    assert health["calls"] == 0, health
    assert health["calls_finished"] == LOAD_CALLS_COUNT, health
    # The agent prints a call's line before it counts the call; our reader thread may lag.
    deadline = time.monotonic() + 10.0
    while len(agent.call_lines()) < LOAD_CALLS_COUNT and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(agent.call_lines()) == LOAD_CALLS_COUNT
    rss_end = rss_kib(agent.proc.pid)
    print(f"agent VmRSS after {LOAD_WARMUP_CALLS_COUNT} calls {rss_warm} KiB, "
          f"after {LOAD_CALLS_COUNT} calls {rss_end} KiB")
    assert rss_end <= rss_warm * (1 + RSS_GROWTH_LIMIT), (rss_warm, rss_end)

    trace = sipp_dir / "busy.log"
    busy = run_sipp(agent, sipp_dir, ["-sn", "uac", "-d", "3000", "-l", "5", "-r", "50",
                                      "-trace_msg", "-message_file", str(trace)],
                    calls=5, timeout_s=60)
    log = trace.read_text(errors="replace")
    busy_calls = set(re.findall(r"SIP/2.0 486 Busy Here\r?\n(?:.*\r?\n)*?Call-ID: *(\S+)", log))
    assert len(busy_calls) == 1, log[-3000:]
    assert sipp_counter(busy.stdout, "Successful call") == 4, busy.stdout[-2000:]
    assert agent.proc.alive()
    health = wait_idle(agent, LOAD_CALLS_COUNT + 4)
    assert health["calls"] == 0 and health["calls_finished"] == LOAD_CALLS_COUNT + 4, health



@pytest.mark.slow
def test_back_to_back_uac_pcap_calls_all_end_and_free_their_slots(start_agent,
                                                                  sipp_dir: Path) -> None:
    """Two waves of 4 uac_pcap calls (speech, digit 1, BYE): the second wave reuses the slots."""
    # A short drain: calls stuck by the bug would hold the teardown for the default 30 s.
    agent = start_agent(overrides=[*OPEN_HOURS, "sip.drain_timeout_s=2"])
    proc = run_sipp(agent, sipp_dir, ["-sn", "uac_pcap", "-l", "4", "-r", "100"], calls=8,
                    timeout_s=90)
    health = wait_idle(agent, 8, timeout_s=8)
    assert sipp_counter(proc.stdout, "Successful call") == 8, proc.stdout[-2000:]
    assert health["calls"] == 0 and health["calls_finished"] == 8, health
