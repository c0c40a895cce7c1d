"""Calls in progress across agent processes: each `ivr serve` writes <data>/run/live-<port>.json
once a second (atomic rename); the console reads every fresh file. No broker, no socket: the
data directory the workers already share."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WRITE_EVERY_S = 1.0
STALE_AFTER_S = 5.0  # a file older than this belongs to a stopped or stuck agent


def live_path(data_dir: Path, port: int) -> Path:
    return Path(data_dir) / "run" / f"live-{port}.json"


def write_live(path: Path, calls: list[dict[str, Any]], now: float | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps({"pid": os.getpid(), "at": now or time.time(), "calls": calls},
                              ensure_ascii=False))
    os.replace(tmp, path)


def read_live(data_dir: Path, now: float | None = None) -> list[dict[str, Any]]:
    """Every call in progress, longest first, with the agent port it is on."""
    at = now or time.time()
    calls: list[dict[str, Any]] = []
    for path in sorted((Path(data_dir) / "run").glob("live-*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if at - float(data.get("at", 0)) > STALE_AFTER_S:
            continue
        port = path.stem.split("-", 1)[1]
        calls += [{**call, "agent": port} for call in data.get("calls", [])]
    return sorted(calls, key=lambda c: -float(c.get("duration_s") or 0))


class LiveWriter:
    """The agent's side: a daemon thread writing snapshots until stopped (then removes the
    file). `snapshots` is called on this thread; it must only read."""

    def __init__(self, path: Path, snapshots: Callable[[], list[dict[str, Any]]]):
        self.path = path
        self.snapshots = snapshots
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-calls", daemon=True)

    def start(self) -> LiveWriter:
        self._thread.start()
        return self

    def _run(self) -> None:
        import logging

        log = logging.getLogger(__name__)
        while not self._stop.wait(WRITE_EVERY_S):
            try:
                write_live(self.path, self.snapshots())
            except Exception:  # a background thread logs, never dies silently
                log.exception("live calls file not written")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.path.unlink(missing_ok=True)
