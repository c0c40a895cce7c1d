"""Fixtures for real-SIP tests (helpers live in sipkit.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sipkit import AgentProcess


@pytest.fixture
def start_agent(tmp_path: Path) -> Iterator[Callable[..., AgentProcess]]:
    started: list[AgentProcess] = []

    def start(env: dict[str, str] | None = None, wait: bool = True, **opts: Any
              ) -> AgentProcess:
        agent = AgentProcess(opts, tmp_path / f"agent{len(started)}.log", env, wait)
        started.append(agent)
        return agent

    yield start
    for agent in started:
        code = agent.stop()
        tail = Path(agent.log.name).read_text(errors="replace").splitlines()[-15:]
        expected = getattr(agent, "expect_exit", 0)
        assert code == expected, f"agent exited with {code}; log tail:\n" + "\n".join(tail)
