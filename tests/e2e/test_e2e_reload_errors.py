"""A bad reload never stops the real agent (issue 11 item 10): SIGHUP with a non-UTF-8 or a
thousands-deep config used to drain the agent and exit. Now the reload is refused with one line
naming the file, the agent keeps its old settings and answers the next call. About 15 s."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pytest
from e2ekit import OPEN_HOURS, ROOT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sip"))
from rawsip import SipProbe  # (the SIP layer's raw-SIP test helper)

pytestmark = [pytest.mark.sip, pytest.mark.slow]

GOOD = (ROOT / "config" / "ivr.toml").read_bytes()
BAD = {
    "non-utf8": GOOD.replace(b"[service]", b"[service]\n# caf\xe9", 1),
    "deep": GOOD + b"x = " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
}


def test_sighup_with_hostile_configs_is_refused_and_the_agent_keeps_answering(
        start_agent, tmp_path: Path) -> None:
    config = tmp_path / "ivr.toml"
    config.write_bytes(GOOD)
    agent = start_agent(overrides=OPEN_HOURS, config=config)
    for name, content in BAD.items():
        config.write_bytes(content)
        mark = len(agent.proc.lines)
        agent.proc.signal(signal.SIGHUP)
        refused = agent.proc.wait_for(lambda ln: "reload refused" in ln, 15, mark)
        assert refused is not None, (name, agent.proc.tail())
        named = [ln for ln in agent.proc.lines[mark:] if str(config) in ln]
        assert named, (name, agent.proc.tail())
        assert not any("Traceback" in ln for ln in agent.proc.lines[mark:]), agent.proc.tail()
        time.sleep(1.0)
        assert agent.proc.alive(), (name, agent.proc.tail())
        assert not any(ln.startswith("draining") for ln in agent.proc.lines), agent.proc.tail()
        assert agent.health()["accepting"]
        probe = SipProbe(agent.port, "udp")
        try:
            answered = probe.call(timeout_s=5.0)
        finally:
            probe.close()
        assert answered is not None and answered.code == 200, (name, answered)
