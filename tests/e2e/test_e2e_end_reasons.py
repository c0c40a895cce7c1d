"""Who ended the call is recorded right (issue 11 item 11): a call the agent cut (draining with
no time left) was recorded as `caller_hangup`. About 20 s."""

from __future__ import annotations

import signal
import time

import pytest
from e2ekit import OPEN_HOURS, Agent, BackgroundCall

pytestmark = [pytest.mark.sip, pytest.mark.slow]


def wait_calls(agent: Agent, count: int, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while agent.health()["calls"] != count:
        assert time.monotonic() < deadline, agent.proc.tail()
        time.sleep(0.1)


def test_a_call_the_agent_cuts_is_not_a_caller_hangup(start_agent, e2e_env) -> None:
    agent = start_agent(overrides=[*OPEN_HOURS, "sip.drain_timeout_s=0"])
    call = BackgroundCall(agent.uri, e2e_env, max_s=40.0)
    wait_calls(agent, 1)
    time.sleep(1.0)  # the greeting is playing
    agent.proc.signal(signal.SIGTERM)
    result = call.get()
    assert result.first("disconnected")["by"] == "remote", result.output[-2000:]
    assert agent.proc.proc.wait(timeout=40) == 0
    line = agent.wait_call_line(timeout_s=5)
    assert line is not None, agent.proc.tail()
    assert agent.timeline(line)["end_reason"] == "shutdown", line
