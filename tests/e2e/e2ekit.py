"""Helpers for end-to-end tests: the real `ivr serve`, `ivr desk`, `ivr call` and sipp as
subprocesses on free loopback ports, their output collected on threads, and caller audio."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
RATE_HZ = 8000
PCAP_DIR = Path("/usr/share/sip-tester")
SPEECH_DIR = Path("/usr/share/pocketsphinx/test/data")
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
AGENT_START_TIMEOUT_S = 240.0  # the first start of a test session renders every prompt
STOP_TIMEOUT_S = 40.0
# Business hours forced open and the survey off, so every flow is the same at any hour.
OPEN_HOURS = [
    "business.opens_at=00:00", "business.closes_at=23:59",
    "business.working_weekdays=[1,2,3,4,5,6,7]", "business.holidays=[]",
    "dialogue.survey_enabled=false",
]  # fmt: skip


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (SIP listens on both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def ivr_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "ivr.cli", *args]


class Proc:
    """A child process whose combined output is kept line by line; waitable on a line."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path,
                 cwd: Path | None = None) -> None:
        self.argv = argv
        self.log_path = log_path
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
            cwd=cwd or ROOT, start_new_session=True,
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.log_path.open("a") as log:
            for line in self.proc.stdout:
                line = line.rstrip("\n")
                log.write(line + "\n")
                log.flush()
                with self._cond:
                    self.lines.append(line)
                    self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[str], bool], timeout_s: float,
                 start: int = 0) -> str | None:
        """The first line (from index `start`) matching, or None on timeout / exit."""
        deadline = time.monotonic() + timeout_s
        seen = start
        with self._cond:
            while True:
                for line in self.lines[seen:]:
                    if predicate(line):
                        return line
                seen = max(seen, len(self.lines))
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    return None
                self._cond.wait(min(remaining, 0.5))

    def tail(self, n: int = 40) -> str:
        with self._cond:
            return "\n".join(self.lines[-n:])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self) -> int:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT_S; always reaps the child."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._thread.join(timeout=5)
        return int(self.proc.returncode)


@dataclass
class Agent:
    """A running `ivr serve` and where to find what it wrote."""

    proc: Proc
    port: int
    admin_port: int
    data_dir: Path
    db_url: str
    overrides: list[str]
    config: Path | None

    @property
    def uri(self) -> str:
        return f"sip:ivr@127.0.0.1:{self.port}"

    def health(self) -> dict[str, Any]:
        """/health's JSON body, also when it answers 503 (draining, a failing check)."""
        url = f"http://127.0.0.1:{self.admin_port}/health"
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return dict(json.loads(r.read()))
        except urllib.error.HTTPError as exc:
            return dict(json.loads(exc.read()))

    def call_lines(self) -> list[str]:
        return [ln for ln in self.proc.lines if ln.startswith("call ")]

    def wait_call_line(self, id8_or_none: str | None = None, timeout_s: float = 30.0,
                       start: int = 0) -> str | None:
        return self.proc.wait_for(
            lambda ln: ln.startswith("call ") and (id8_or_none is None or id8_or_none in ln),
            timeout_s, start,
        )

    def timeline(self, call_line: str, timeout_s: float = 10.0) -> dict[str, Any]:
        """The calls/<id>.json of the call an agent line names (written just after the line)."""
        prefix = call_line.split()[1]
        deadline = time.monotonic() + timeout_s
        while True:
            matches = sorted((self.data_dir / "calls").glob(f"{prefix}*.json"))
            if matches:
                with contextlib.suppress(json.JSONDecodeError):
                    return dict(json.loads(matches[-1].read_text()))
            if time.monotonic() > deadline:
                raise AssertionError(f"no timeline for {call_line!r} in {self.data_dir}/calls")
            time.sleep(0.1)

    def settings(self) -> Any:
        """The agent's settings, loaded the way `ivr serve` loads them."""
        from ivr.config import load_settings, parse_assignments

        overrides = parse_assignments(self.overrides)
        overrides.setdefault("database", {})["url"] = self.db_url
        # Pinned: Settings.data_dir reads IVR_DATA_DIR when used, not when loaded, and after
        # this returns the variable is back to what it was (often unset: ~/.local/share/ivr,
        # where any stray recording would become a ticket of this test's database).
        overrides.setdefault("paths", {})["data_dir"] = str(self.data_dir)
        old = os.environ.get("IVR_DATA_DIR")
        os.environ["IVR_DATA_DIR"] = str(self.data_dir)
        try:
            return load_settings(str(self.config) if self.config else None, overrides=overrides)
        finally:
            if old is None:
                os.environ.pop("IVR_DATA_DIR", None)
            else:
                os.environ["IVR_DATA_DIR"] = old


@dataclass
class CallResult:
    code: int
    events: list[dict[str, Any]]
    output: str

    def first(self, name: str, **match: Any) -> dict[str, Any]:
        for event in self.events:
            if event.get("event") == name and all(event.get(k) == v for k, v in match.items()):
                return event
        raise AssertionError(f"no {name} {match} event in:\n{self.output[-3000:]}")


def place_call(uri: str, env: dict[str, str], *, play: Path | None = None,
               dtmf: list[tuple[str, float]] = (), record: Path | None = None,  # type: ignore[assignment]
               max_s: float = 60.0, extra: list[str] = ()) -> CallResult:  # type: ignore[assignment]
    """`ivr call --json` to the end; its JSON event lines."""
    argv = ivr_argv("call", uri, "--json", "--max-s", f"{max_s:g}", *extra)
    if play is not None:
        argv += ["--play", str(play)]
    if record is not None:
        argv += ["--record", str(record)]
    for digits, at in dtmf:
        argv += ["--dtmf", digits, "--dtmf-at", f"{at:.2f}"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=max_s + 60)
    events = []
    for line in proc.stdout.splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            if line.startswith("{"):
                events.append(json.loads(line))
    return CallResult(proc.returncode, events, proc.stdout + proc.stderr)


class BackgroundCall(threading.Thread):
    """place_call on a thread, so several calls can share one agent at once."""

    def __init__(self, uri: str, env: dict[str, str], **kwargs: Any) -> None:
        super().__init__(daemon=True)
        self.uri, self.env, self.kwargs = uri, env, kwargs
        self.result: CallResult | None = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.result = place_call(self.uri, self.env, **self.kwargs)
        except BaseException as exc:  # reported by get()
            self.error = exc

    def get(self, timeout_s: float = 200.0) -> CallResult:
        self.join(timeout_s)
        if self.error is not None:
            raise self.error
        assert self.result is not None, "the call did not finish"
        return self.result


# ---- audio ---------------------------------------------------------------------------------

def human_speech(seconds: float) -> np.ndarray:
    """Real human speech (pocketsphinx test data, 16 kHz raw) at 8 kHz, at least `seconds`."""
    from ivr.media.resample import resample

    parts = []
    for name in ("goforward.raw", "something.raw", "numbers.raw"):
        raw = np.fromfile(SPEECH_DIR / name, dtype="<i2")
        parts.append(resample(raw, 16000, RATE_HZ))
        parts.append(np.zeros(RATE_HZ // 2, dtype=np.int16))
    audio = np.concatenate(parts)
    while len(audio) < seconds * RATE_HZ:
        audio = np.concatenate([audio, audio])
    return audio[: int(seconds * RATE_HZ)].astype(np.int16)


def at_level(samples: np.ndarray, level_dbfs: float) -> np.ndarray:
    from ivr.media.levels import active_speech_level_dbfs

    current = active_speech_level_dbfs(samples, RATE_HZ)
    assert current is not None, "no signal to scale"
    gain = 10 ** ((level_dbfs - current) / 20)
    return np.clip(samples.astype(np.float64) * gain, -32768, 32767).astype(np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE_HZ), dtype=np.int16)


def write_audio(path: Path, samples: np.ndarray) -> Path:
    from ivr.media.wavio import write_wav

    write_wav(path, samples, RATE_HZ)
    return path


def window_levels_dbfs(samples: np.ndarray, rate_hz: int, start_s: float, end_s: float
                       ) -> np.ndarray:
    """Levels (dBFS) of the 20 ms frames of samples[start_s:end_s]."""
    from ivr.media.levels import dbfs, frame_rms

    frame = rate_hz // 50
    a, b = int(start_s * rate_hz), int(end_s * rate_hz)
    chunk = samples[a:b]
    return np.array([dbfs(frame_rms(chunk[i:i + frame]))
                     for i in range(0, len(chunk) - frame + 1, frame)])


def voiced_fraction(samples: np.ndarray, rate_hz: int, start_s: float, end_s: float) -> float:
    """Share of 20 ms frames webrtcvad calls speech in the window."""
    import webrtcvad

    vad = webrtcvad.Vad(2)
    frame = rate_hz // 50
    a, b = int(start_s * rate_hz), int(end_s * rate_hz)
    chunk = samples[a:b].astype("<i2")
    frames = [chunk[i:i + frame] for i in range(0, len(chunk) - frame + 1, frame)]
    if not frames:
        return 0.0
    return sum(vad.is_speech(f.tobytes(), rate_hz) for f in frames) / len(frames)


def timeline_steps(timeline: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    return [s for s in timeline["timeline"] if s["what"].startswith(prefix)]


def launch_agent(started: list[Proc], tmp: Path, env: dict[str, str], data_dir: Path,
                 overrides: list[str], config: Path | None, db_url: str | None,
                 extra: list[str]) -> Agent:
    """`ivr serve` on free ports with its own tickets DB (appended to `started`), once ready."""
    port, admin_port = free_port(), free_port()
    db = db_url or f"sqlite:///{tmp / f'tickets{len(started)}.db'}"
    argv = ivr_argv(*(["--config", str(config)] if config else []), "serve",
                    "--bind", "127.0.0.1", "--sip-port", str(port),
                    "--admin-port", str(admin_port), "--db", db, *extra)
    # sipp plays many callers from one address: lift the per-source cap on unconfirmed calls
    # (docs/security.md; tests/sip/test_sip_ack_flood.py tests it). Test overrides still win.
    argv += ["--set", "sip.unconfirmed_per_source_count=4"]
    for item in overrides:
        argv += ["--set", item]
    proc = Proc(argv, env, tmp / f"agent{len(started)}.log")
    started.append(proc)
    if proc.wait_for(lambda ln: ln.strip() == "ready", AGENT_START_TIMEOUT_S) is None:
        raise AssertionError(f"ivr serve did not get ready:\n{proc.tail()}")
    return Agent(proc, port, admin_port, data_dir, db, list(overrides), config)
