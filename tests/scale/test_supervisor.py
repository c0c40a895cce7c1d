"""The supervisor as a real process: crash loops back off, SIGHUP is forwarded, N=1 execs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from scale_harness import PYTHON, REPO, cluster, free_port_block


def _floats(pattern: str, text: str) -> list[float]:
    return [float(x) for x in re.findall(pattern, text)]


def test_crashing_worker_is_restarted_with_growing_back_off(tmp_path):
    """The delays are the admin's: scale.restart_initial_s and scale.restart_max_s."""
    cmd = "sh -c 'echo crash-{id}; exit 3'"
    with cluster(tmp_path, workers=2, front="none", ready=False, cmd=cmd,
                 extra=["--set", "scale.restart_initial_s=0.2",
                        "--set", "scale.restart_max_s=0.8"]) as c:
        c.wait_for(r"worker 1: pid \d+ exited with code 3", 15, count=4)
        log = c.log()
    delays = _floats(r"worker 1: pid \d+ exited with code 3 after [\d.]+ s; restart in "
                     r"([\d.]+) s", log)
    assert delays[:4] == [0.2, 0.4, 0.8, 0.8]  # doubles, then stays at the ceiling
    assert "[worker 1] crash-1" in log and "[worker 2] crash-2" in log  # output is logged
    assert "worker 1: restarting (restart 3)" in log


def test_sighup_reaches_every_worker_and_sigterm_stops_them(tmp_path):
    with cluster(tmp_path, workers=2, front="none",
                 extra=["--set", "scale.status_interval_s=1"]) as c:
        c.proc.send_signal(signal.SIGHUP)
        c.wait_for(r"standin worker \d: SIGHUP: configuration reloaded", 10, count=2)
        # scale.status_interval_s: pid, port and memory of each worker, every second here
        c.wait_for(r"worker 2: pid \d+ port \d+ rss [\d.]+ MiB restarts 0", 15, count=2)
        pids = [c.worker_pid(1), c.worker_pid(2)]
        assert c.stop() == 0
    log = c.log()
    assert "SIGHUP: asking 2 worker(s) to reload" in log
    for k in (1, 2):
        assert re.search(rf"worker {k}: pid \d+ exited with code 0", log)
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(
            f"/proc/{pid}/status").read_text().lower()


def test_workers_die_with_a_killed_supervisor(tmp_path):
    with cluster(tmp_path, workers=2, front="none") as c:
        pids = [c.worker_pid(1), c.worker_pid(2)]
        os.kill(c.proc.pid, signal.SIGKILL)  # no chance to clean up: PDEATHSIG must do it
        c.proc.wait(10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
            time.sleep(0.1)
        alive = [p for p in pids if Path(f"/proc/{p}").exists()]
        for p in alive:  # never leave processes behind, even when the assertion fails
            os.kill(p, signal.SIGKILL)
        assert not alive


def test_one_worker_without_front_is_just_exec(tmp_path):
    port = free_port_block(1)
    proc = subprocess.run(
        [PYTHON, "-m", "ivr.scale", "--workers", "1", "--front", "none", "--sip-port",
         str(port + 20), "--base-worker-port", str(port),
         "--worker-cmd", f"{sys.executable} -c 'import os; print(\"agent\", {{port}}, "
                         f"os.getpid()); raise SystemExit(7)'"],
        capture_output=True, text=True, timeout=60, cwd=REPO,
        env=dict(os.environ, IVR_DATA_DIR=str(tmp_path)))
    assert proc.returncode == 7  # the agent's own exit code: nothing in between
    words = proc.stdout.split()
    assert words[:2] == ["agent", str(port)]


def test_bad_arguments_are_explained_not_traced(tmp_path):
    proc = subprocess.run(
        [PYTHON, "-m", "ivr.scale", "--workers", "3", "--front", "kamailio", "--sip-port",
         "5072", "--base-worker-port", "5071", "--worker-cmd", "true"],
        capture_output=True, text=True, timeout=60, cwd=REPO,
        env=dict(os.environ, IVR_DATA_DIR=str(tmp_path)))
    assert proc.returncode == 2
    assert "falls inside the worker ports 5071-5073" in proc.stderr
    assert "Traceback" not in proc.stderr
