"""Media ports are destroyed without a media callback ever reaching a half-freed object.

Regression for the agent freezing or crashing under short-call load: dropping a retired
CallMediaPort's last reference cleared its ``__dict__`` before the C++ port left the conference,
so a media tick could run ``onFrameReceived`` on a dying object (AttributeError on ``detached``,
then heap corruption). ``port_churn_main.py --drop`` still shows that crash in most runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROUNDS_COUNT = 200  # stays below the conference's 254 slots even if none were freed


def test_retired_ports_are_destroyed_safely_while_the_media_clock_runs(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    proc = subprocess.run(
        [sys.executable, str(HERE / "port_churn_main.py"), str(ROUNDS_COUNT)],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"churned {ROUNDS_COUNT}" in proc.stdout
    assert "has no attribute" not in proc.stderr, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
