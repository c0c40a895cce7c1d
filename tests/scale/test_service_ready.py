"""Workers start only once the recogniser service answers (issue 16): a call in the model's
loading time (~3 s) would otherwise get the keypad fallback.

The supervisor runs in this process with real child processes: a "service" that becomes ready
after a delay (a marker file stands in for the model; tests/speech/test_speech_service.py pings
the real service), and workers that record whether the service was ready when they started.
With a service that never answers, the workers start after the timeout and the log says so.
Runtime ~5 s.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path

from ivr.scale.supervisor import ChildSpec, Supervisor

SERVICE_DELAY_S = 1.5


def _children(tmp: Path, ready_after_s: float) -> tuple[list[ChildSpec], Path]:
    marker = tmp / "service-ready"
    service = ChildSpec(
        name="asr service", kind="service",
        argv=(sys.executable, "-c",
              f"import time, pathlib; time.sleep({ready_after_s}); "
              f"pathlib.Path({str(marker)!r}).touch(); time.sleep(60)"),
        ready=marker.exists,
    )
    workers = [
        ChildSpec(name=f"worker {k}", kind="worker", worker_id=k,
                  argv=(sys.executable, "-c",
                        f"import pathlib, time; m = pathlib.Path({str(marker)!r}); "
                        f"pathlib.Path({str(tmp / f'worker-{k}')!r}).write_text("
                        "str(m.exists())); time.sleep(60)"))
        for k in (1, 2)
    ]
    return [service, *workers], marker


def _run(sup: Supervisor, until: list[Path], timeout_s: float = 20.0) -> float:
    """Run the supervisor until every path in `until` exists; seconds that took."""
    thread = threading.Thread(target=sup.run, daemon=True)
    t0 = time.monotonic()
    thread.start()
    try:
        while not all(p.exists() for p in until):
            assert time.monotonic() - t0 < timeout_s, f"{until} not written"
            time.sleep(0.05)
        return time.monotonic() - t0
    finally:
        sup.request_stop("test over")
        thread.join(30)
        assert not thread.is_alive()


def test_workers_wait_until_the_service_answers(tmp_path: Path, caplog) -> None:
    children, _ = _children(tmp_path, SERVICE_DELAY_S)
    caplog.set_level(logging.INFO, logger="ivr.scale.supervisor")
    sup = Supervisor(children, ready_timeout_s=30.0, drain_timeout_s=1.0)
    took = _run(sup, [tmp_path / "worker-1", tmp_path / "worker-2"])
    assert took >= SERVICE_DELAY_S
    for k in (1, 2):  # each worker found the service ready when it started
        assert (tmp_path / f"worker-{k}").read_text() == "True"
    assert "asr service: ready after" in caplog.text


def test_workers_start_anyway_after_the_timeout(tmp_path: Path, caplog) -> None:
    children, _ = _children(tmp_path, 60.0)  # never ready within the test
    caplog.set_level(logging.INFO, logger="ivr.scale.supervisor")
    sup = Supervisor(children, ready_timeout_s=1.0, drain_timeout_s=1.0)
    took = _run(sup, [tmp_path / "worker-1", tmp_path / "worker-2"])
    assert 1.0 <= took < 10.0
    assert (tmp_path / "worker-1").read_text() == "False"
    assert "asr service: not ready after 1.0 s; starting the workers anyway" in caplog.text


def test_a_stop_while_waiting_starts_no_worker(tmp_path: Path) -> None:
    children, _ = _children(tmp_path, 60.0)
    sup = Supervisor(children, ready_timeout_s=30.0, drain_timeout_s=1.0)
    thread = threading.Thread(target=sup.run, daemon=True)
    thread.start()
    time.sleep(0.5)
    sup.request_stop("test over")
    thread.join(20)
    assert not thread.is_alive()
    assert not (tmp_path / "worker-1").exists() and not (tmp_path / "worker-2").exists()
