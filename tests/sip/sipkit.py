"""Helpers for real-SIP tests: agent processes (one pjsua2 Endpoint each) and `ivr call`."""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
AGENT = HERE / "agent_helper.py"
START_TIMEOUT_S = 20.0


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port free for both UDP and TCP on 127.0.0.1 right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        other = socket.SOCK_STREAM if kind == socket.SOCK_DGRAM else socket.SOCK_DGRAM
        try:
            with socket.socket(socket.AF_INET, other) as s:
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port")


class AgentProcess:
    """tests/sip/agent_helper.py in a subprocess; events arrive as JSON lines."""

    def __init__(self, opts: dict[str, Any], log_path: Path,
                 env: dict[str, str] | None = None, wait: bool = True) -> None:
        self.log = open(log_path, "w")  # closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, str(AGENT), json.dumps(opts)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True,
            cwd=ROOT, env={**os.environ, **(env or {})},
        )
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = self.max_calls = 0
        self.uri = ""
        if not wait:
            return
        first = self.wait_for("listening", timeout_s=START_TIMEOUT_S)
        self.port = int(first["port"])
        self.max_calls = int(first["max_calls"])
        self.uri = f"sip:ivr@127.0.0.1:{self.port}"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.strip()
            if line.startswith("{"):
                self.events.put(json.loads(line))

    def wait_for(self, name: str, timeout_s: float = 10.0, **match: Any) -> dict[str, Any]:
        """Next event called ``name`` (matching the given fields); fails after timeout_s."""
        for event in self.seen:
            if event["event"] == name and all(event.get(k) == v for k, v in match.items()):
                self.seen.remove(event)
                return event
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            if event["event"] == name and all(event.get(k) == v for k, v in match.items()):
                return event
            self.seen.append(event)
        code = self.proc.poll()
        raise AssertionError(f"no {name} {match} event within {timeout_s} s (exit={code}); "
                             f"seen: {self.seen[-8:]}")

    def drain(self) -> list[dict[str, Any]]:
        """All events so far (kept and queued), without waiting."""
        while True:
            try:
                self.seen.append(self.events.get_nowait())
            except queue.Empty:
                return list(self.seen)

    def command(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int:
        if self.proc.poll() is None:
            try:
                self.command("quit")
                self.proc.stdin.close()  # type: ignore[union-attr]
            except (BrokenPipeError, OSError):
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode




def run_ivr_call(*args: str, timeout_s: float = 60.0) -> tuple[int, list[dict[str, Any]], str]:
    """`ivr call ... --json` in a subprocess: (exit code, events, stderr)."""
    proc = subprocess.run(
        [sys.executable, str(HERE / "ivr_call_main.py"), "call", *args, "--json"],
        capture_output=True, text=True, timeout=timeout_s, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, events, proc.stderr


def sipp_path() -> str:
    path = shutil.which("sipp")
    if path is None:
        pytest.skip("sipp (Debian sip-tester) is not installed")
    return path
