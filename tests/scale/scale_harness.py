"""Helpers for the scale tests: free ports, a supervised cluster, sipp, and a raw SIP client.

Every process started here is stopped by the context managers, also when a test fails.
Workers are the pjsua2 stand-in (standin_worker.py) unless IVR_SCALE_WORKER=serve, which runs
real `ivr serve` workers.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

Completed = subprocess.CompletedProcess[bytes]
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SCENARIO = HERE / "scenarios" / "uac_rr.xml"
STANDIN = HERE / "standin_worker.py"
PYTHON = sys.executable
WORKER_KIND = os.environ.get("IVR_SCALE_WORKER", "standin")


def worker_cmd(drain_timeout_s: float = 5.0) -> str:
    if WORKER_KIND == "serve":
        return (f"{PYTHON} -m ivr.cli serve --sip-port {{port}} --bind {{bind}} "
                f"--worker-id {{id}} --workers 1 --front none --no-asr")
    return (f"{PYTHON} {STANDIN} --sip-port {{port}} --bind {{bind}} --worker-id {{id}} "
            f"--drain-timeout-s {drain_timeout_s}")


def _udp_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port_block(count: int) -> int:
    """First of ``count`` consecutive free UDP ports on 127.0.0.1 (random, not reserved)."""
    for _ in range(200):
        base = random.randrange(20000, 60000 - count)
        if all(_udp_free(base + i) for i in range(count)):
            return base
    raise RuntimeError("no block of free UDP ports found")


@dataclass
class Cluster:
    proc: subprocess.Popen[bytes]
    log_path: Path
    sip_port: int
    base_worker_port: int
    workers: int

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout_s: float = 30.0, count: int = 1) -> list[str]:
        """Wait until ``pattern`` (regex) matches ``count`` log lines; returns the matches."""
        deadline = time.monotonic() + timeout_s
        found: list[str] = []
        while time.monotonic() < deadline:
            found = re.findall(pattern, self.log())
            if len(found) >= count:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} seen {len(found)}/{count} times in "
                             f"{timeout_s} s; log:\n{self.log()[-4000:]}")

    def worker_port(self, k: int) -> int:
        return self.base_worker_port + k - 1

    def worker_pid(self, k: int) -> int:
        return int(re.findall(rf"worker {k}: started pid (\d+)", self.log())[-1])

    def answered_by(self) -> dict[int, int]:
        """Calls answered per worker port, from the front's log lines."""
        counts: dict[int, int] = {}
        for port in re.findall(r"answered by 127\.0\.0\.1:(\d+)", self.log()):
            counts[int(port)] = counts.get(int(port), 0) + 1
        return counts

    def stop(self, timeout_s: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        return self.proc.returncode


READY = r"(?:standin worker \d+: listening|\[worker \d+\] ready)"


@contextlib.contextmanager
def serve_cluster(tmp_path: Path, workers: int = 3, port_offset: int = 10,
                  extra: list[str] | None = None) -> Iterator[Cluster]:
    """`ivr serve --workers N` itself (front + real agents, DTMF-only: --no-asr); worker k on
    the SIP port + ``port_offset`` + k (scale.worker_port_offset_count, set here)."""
    for _ in range(50):
        sip_port = free_port_block(1)
        if all(_udp_free(sip_port + port_offset + 1 + i) for i in range(workers)):
            break
    log_path = tmp_path / "serve.log"
    argv = [PYTHON, "-m", "ivr.cli", "-v", "serve", "--workers", str(workers), "--bind",
            "127.0.0.1", "--sip-port", str(sip_port), "--no-asr",
            "--set", f"scale.worker_port_offset_count={port_offset}",
            # sipp plays many callers from one address: lift the per-caller cap on unconfirmed
            # calls (docs/security.md), which would refuse its bursts.
            "--set", "sip.unconfirmed_per_source_count=4", *(extra or [])]
    env = dict(os.environ, IVR_DATA_DIR=str(tmp_path / "data"))
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                start_new_session=True, env=env)
    c = Cluster(proc, log_path, sip_port, sip_port + port_offset + 1, workers)
    try:
        c.wait_for(READY, 120, workers)
        c.wait_for(r"front: started pid", 10)
        time.sleep(0.5)
        yield c
    finally:
        c.stop(60)


@contextlib.contextmanager
def cluster(tmp_path: Path, workers: int = 3, front: str = "kamailio",
            extra: list[str] | None = None, ready: bool = True,
            cmd: str | None = None) -> Iterator[Cluster]:
    """Supervisor (+ Kamailio) + workers on loopback; stopped on exit."""
    ports = free_port_block(workers + 1)
    sip_port, base = ports, ports + 1
    log_path = tmp_path / f"supervisor-{uuid.uuid4().hex[:6]}.log"
    argv = [PYTHON, "-m", "ivr.scale", "-v", "--workers", str(workers), "--front", front,
            "--sip-port", str(sip_port), "--bind", "127.0.0.1", "--base-worker-port", str(base),
            "--data-dir", str(tmp_path / "data"), "--worker-cmd", cmd or worker_cmd(),
            *(extra or [])]
    env = dict(os.environ, IVR_DATA_DIR=str(tmp_path / "data"))
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
                                start_new_session=True, env=env)
    c = Cluster(proc, log_path, sip_port, base, workers)
    try:
        if ready:
            c.wait_for(READY, 120 if WORKER_KIND == "serve" else 30, workers)
            if front == "kamailio":
                c.wait_for(r"front: started pid", 10)
                time.sleep(0.5)  # let Kamailio's children bind
        yield c
    finally:
        c.stop()


def run_sipp(target_port: int, calls: int, limit: int, rate: float, hold_ms: int,
             local_ip: str = "127.0.0.1", timeout_s: float = 60.0,
             background: bool = False) -> subprocess.Popen[bytes] | Completed:
    """sipp placing ``calls`` calls through the front (record-route aware scenario)."""
    argv = ["sipp", f"127.0.0.1:{target_port}", "-sf", str(SCENARIO), "-i", local_ip,
            "-p", str(free_port_block(1)), "-m", str(calls), "-l", str(limit), "-r", str(rate),
            "-d", str(hold_ms), "-timeout", f"{int(timeout_s)}s", "-timeout_error",
            "-max_recv_loops", "1000", "-nostdin", "-mp", str(free_port_block(2))]
    if background:
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
    return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          timeout=timeout_s + 15, check=False)


@contextlib.contextmanager
def sipp_background(*args: object, **kwargs: object) -> Iterator[subprocess.Popen[bytes]]:
    proc = run_sipp(*args, background=True, **kwargs)  # type: ignore[arg-type]
    assert isinstance(proc, subprocess.Popen)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


# Raw SIP over UDP ---------------------------------------------------------------------------
def sip_request(method: str, target_port: int, local: tuple[str, int], call_id: str,
                cseq: int = 1, body: str = "", to_tag: str = "", branch: str = "",
                uri: str | None = None) -> bytes:
    host, port = local
    branch = branch or "z9hG4bK" + uuid.uuid4().hex[:12]
    uri = uri or f"sip:hotline@127.0.0.1:{target_port}"
    lines = [
        f"{method} {uri} SIP/2.0",
        f"Via: SIP/2.0/UDP {host}:{port};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:tester@{host}>;tag=t{call_id[:8]}",
        f"To: <sip:hotline@127.0.0.1>{';tag=' + to_tag if to_tag else ''}",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} {method}",
        f"Contact: <sip:tester@{host}:{port}>",
    ]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def sdp(host: str, port: int) -> str:
    return (f"v=0\r\no=- 1 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")


def status_code(data: bytes) -> int:
    first = data.split(b"\r\n", 1)[0].decode(errors="replace")
    match = re.match(r"SIP/2\.0 (\d{3})", first)
    return int(match.group(1)) if match else 0


def header(data: bytes, name: str) -> str:
    for line in data.decode(errors="replace").split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return ""
