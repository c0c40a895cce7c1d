"""A full disk, seen by the real agent (issue 11 item 9): `ivr serve` with its data directory
and database on a small tmpfs. When free space drops below the threshold the agent refuses new
calls with 503, `/health` answers 503 with the reason, the log says so; when space comes back it
takes calls again. (That a ticket written on the full disk is journaled, never lost, is tested
in tests/tickets/test_full_disk.py.) About 25 s."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from e2ekit import OPEN_HOURS, Agent

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sip"))
from rawsip import SipProbe  # (the SIP layer's raw-SIP test helper)

pytestmark = [pytest.mark.sip, pytest.mark.slow]

MB = 1024 * 1024
FS_MB = 120
MIN_FREE_MB = 40  # paths.min_free_mb for this agent (the default is 64)
CHECK_S = 1.0  # paths.disk_check_interval_s
WAIT_S = CHECK_S * 2 + 8


def health(agent: Agent) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{agent.admin_port}/health",
                                    timeout=5) as r:
            return r.status, dict(json.loads(r.read()))
    except urllib.error.HTTPError as err:
        return err.code, dict(json.loads(err.read()))


def wait_health(agent: Agent, status: int) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while True:
        code, body = health(agent)
        if code == status:
            return body
        assert time.monotonic() < deadline, (code, body, agent.proc.tail())
        time.sleep(0.5)


@pytest.fixture
def tmpfs(tmp_path: Path):
    point = tmp_path / "fs"
    point.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={FS_MB}m", "tmpfs", str(point)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.strip()}")
    yield point
    subprocess.run(["umount", "-l", str(point)], check=False)


def test_full_disk_refuses_calls_and_health_says_why(start_agent, e2e_env, e2e_data_dir,
                                                     tmpfs) -> None:
    data = tmpfs / "data"
    shutil.copytree(e2e_data_dir / "prompts", data / "prompts")  # no re-render on the tmpfs
    e2e_env["IVR_DATA_DIR"] = str(data)
    agent = start_agent(overrides=[*OPEN_HOURS, f"paths.min_free_mb={MIN_FREE_MB}",
                                   f"paths.disk_check_interval_s={CHECK_S}"],
                        db_url=f"sqlite:///{data / 'tickets.db'}")
    code, body = health(agent)
    assert code == 200 and body["accepting"] and "reason" not in body

    free = shutil.disk_usage(tmpfs).free
    leave = MIN_FREE_MB * MB // 2
    with open(tmpfs / "filler", "wb") as fh:
        fh.write(b"\0" * (free - leave))
    body = wait_health(agent, 503)
    assert not body["accepting"] and body["reason"].startswith("disk: "), body
    assert str(data) in body["reason"] and f"below {MIN_FREE_MB} MB" in body["reason"]
    assert agent.proc.wait_for(lambda ln: "refusing new calls" in ln, 5), agent.proc.tail()
    probe = SipProbe(agent.port, "udp")
    try:
        refused = probe.call(timeout_s=5.0)
        assert refused is not None and refused.code == 503, refused

        os.unlink(tmpfs / "filler")
        body = wait_health(agent, 200)
        assert body["accepting"] and "reason" not in body
        assert agent.proc.wait_for(lambda ln: "taking calls again" in ln, 5), agent.proc.tail()
        answered = probe.call(timeout_s=5.0)
        assert answered is not None and answered.code == 200, answered
    finally:
        probe.close()
