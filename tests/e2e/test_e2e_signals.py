"""Signals to the real agent: SIGTERM drains calls politely (closing phrase, 503 to new
callers); SIGHUP reloads the configuration, refusing a bad file and applying a good one."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from e2ekit import OPEN_HOURS, ROOT, Agent, BackgroundCall, ivr_argv, place_call

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sip"))
from rawsip import SipProbe  # (the SIP layer's raw-SIP test helper)

pytestmark = [pytest.mark.sip, pytest.mark.slow]

TIMER_TOLERANCE_S = 0.3


def wait_calls(agent: Agent, count: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while agent.health()["calls"] != count:
        assert time.monotonic() < deadline, agent.proc.tail()
        time.sleep(0.1)


def step_index(steps: list[dict], prefix: str) -> int:
    for i, step in enumerate(steps):
        if step["what"].startswith(prefix):
            return i
    raise AssertionError(f"no {prefix} in {[s['what'] for s in steps]}")


def test_sigterm_ends_the_call_with_the_closing_phrase_and_refuses_new_calls(
        start_agent, e2e_env) -> None:
    agent = start_agent(overrides=OPEN_HOURS)
    call = BackgroundCall(agent.uri, e2e_env, max_s=40.0)
    wait_calls(agent, 1)
    time.sleep(1.5)  # the greeting is playing
    agent.proc.signal(signal.SIGTERM)
    assert agent.proc.wait_for(lambda ln: ln.startswith("draining"), 10), agent.proc.tail()

    probe = SipProbe(agent.port, "udp")
    refused = probe.call(timeout_s=3.0)
    probe.close()
    assert refused is not None and refused.code == 503, refused
    # a load balancer's health probe sees the drain: 503, naming why
    health = agent.health()
    assert health["status"] == "unhealthy" and health["failing"] == ["sip"], health
    assert health["checks"]["sip"]["detail"].startswith("draining"), health

    result = call.get()
    assert result.first("disconnected")["by"] == "remote", result.output[-2000:]
    assert agent.proc.proc.wait(timeout=40) == 0
    assert agent.proc.wait_for(lambda ln: ln.startswith("stopped after 1 call"), 5)
    line = agent.call_lines()[0]
    timeline = agent.timeline(line)
    steps = timeline["timeline"]
    goodbye = step_index(steps, "Play(prompt_id=closing_goodbye")
    hangup = step_index(steps, "Hangup(reason=shutdown")
    assert goodbye < hangup
    assert timeline["end_reason"] == "shutdown"
    # The caller heard the whole goodbye: the hang-up comes after it finished.
    finished = [i for i, s in enumerate(steps)
                if s["what"].startswith("PromptFinished(prompt_id=closing_goodbye")]
    assert finished and goodbye < finished[0] < hangup, [s["what"] for s in steps]
    # The drained call is in the register: `ivr report` and `ivr tickets list` read the very
    # database `ivr serve --db` wrote, and the call shows under its end reason.
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    report = subprocess.run(
        ivr_argv("report", "--db", agent.db_url, "--month", month, "--json"),
        capture_output=True, text=True, env=e2e_env, timeout=60, check=False,
    )
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["calls_by_end_reason"]["shutdown"] == 1, report.stdout
    listed = subprocess.run(ivr_argv("tickets", "list", "--db", agent.db_url),
                            capture_output=True, text=True, env=e2e_env, timeout=60, check=False)
    assert listed.returncode == 0, listed.stderr


def _config_with(path: Path, **changes: str) -> Path:
    """config/ivr.toml with `key = value` lines replaced (first match per key)."""
    text = (ROOT / "config" / "ivr.toml").read_text()
    for key, value in changes.items():
        text, n = re.subn(rf"(?m)^{key} = [^#\n]*", f"{key} = {value} ", text, count=1)
        assert n == 1, key
    path.write_text(text)
    return path


def test_sighup_refuses_a_bad_config_and_applies_a_good_one(start_agent, e2e_env, tmp_path
                                                            ) -> None:
    config = _config_with(tmp_path / "ivr.toml")
    agent = start_agent(overrides=OPEN_HOURS, config=config)
    settings = agent.settings()
    from ivr.media.prompt_library import PromptLibrary

    with PromptLibrary(settings) as library:
        greeting_s = len(library.get(settings.service.default_locale, "greeting", 8000)) / 8000

    # A bad file: the agent names the key, keeps the old configuration.
    _config_with(config, after_greeting_s="-3.0")
    mark = len(agent.proc.lines)
    agent.proc.signal(signal.SIGHUP)
    refused = agent.proc.wait_for(lambda ln: "reload refused" in ln and "problem" in ln, 10,
                                  mark)
    assert refused is not None, agent.proc.tail()
    named = [ln for ln in agent.proc.lines[mark:] if "silent_call.after_greeting_s" in ln]
    assert named and "-3.0" in named[0], agent.proc.tail()
    old = place_call(agent.uri, e2e_env, max_s=greeting_s + 2.5)
    assert old.code == 0, old.output[-2000:]
    line = agent.wait_call_line(timeout_s=10)
    assert line is not None
    old_steps = agent.timeline(line)["timeline"]
    # Old config: the first pause (5 s from the greeting's end) outlasts this short call.
    assert agent.timeline(line)["prompts_played"] == ["greeting"]
    assert not any(s["what"].startswith("TimerFired(name=ladder") for s in old_steps)

    # A good edit: no menu after the greeting, 2 s of silence before the re-prompt.
    _config_with(config, after_greeting_s="2.0", menu_after_greeting="false")
    mark = len(agent.proc.lines)
    agent.proc.signal(signal.SIGHUP)
    assert agent.proc.wait_for(lambda ln: ln.startswith("reloaded"), 30, mark), agent.proc.tail()
    new = place_call(agent.uri, e2e_env, max_s=greeting_s + 4.0)
    assert new.code == 0, new.output[-2000:]
    line = agent.wait_call_line(timeout_s=10, start=mark)
    assert line is not None
    steps = agent.timeline(line)["timeline"]
    done = steps[step_index(steps, "PromptFinished(prompt_id=greeting")]
    fired = steps[step_index(steps, "TimerFired(name=ladder")]
    assert abs(fired["t"] - done["t"] - 2.0) <= TIMER_TOLERANCE_S, (done, fired)
    assert not any(s["what"].startswith("Play(prompt_id=menu") for s in steps)
