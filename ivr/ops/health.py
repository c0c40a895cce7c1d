"""/health as a list of named checks: 200 when all pass, 503 naming every failing one.

Anything may add a check (a callable returning a :class:`Check`); the agent has draining,
SIP, the ticket database and the journal; the supervisor of `--workers` adds the front and
each worker (from the worker's own heartbeat file).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 1.0
HEARTBEAT_STALE_S = 5.0  # a worker that has not written its heartbeat for this long is down


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


CheckFn = Callable[[], Check]


def run_checks(checks: Iterable[CheckFn]) -> list[Check]:
    """Every check, each one isolated: a check that raises is a failing check, not a 500."""
    results = []
    for fn in checks:
        try:
            results.append(fn())
        except Exception as exc:
            name = getattr(fn, "check_name", getattr(fn, "__name__", "check"))
            log.exception("health check %s failed", name)
            results.append(Check(str(name), False, f"check raised {type(exc).__name__}"))
    return results


def health_response(checks: list[Check], **facts: Any) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body): 503 and ``failing`` names when any check fails."""
    failing = [c.name for c in checks if not c.ok]
    body: dict[str, Any] = {
        "status": "unhealthy" if failing else "ok",
        "failing": failing,
        "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
        **facts,
    }
    return (503 if failing else 200), body


def ticket_checks(tickets: Any) -> list[CheckFn]:
    """The ticket database answers; the journal (where tickets go when it does not) is
    writable."""

    def database() -> Check:
        problem = tickets.check_database()
        return Check("tickets_db", problem is None, problem or "ok")

    def journal() -> Check:
        directory = Path(tickets.journal.directory)
        problem = _write_probe(directory)
        if problem:
            return Check("journal", False, f"{directory}: cannot write ({problem})")
        return Check("journal", True, f"{tickets.journal.pending_count()} entries waiting")

    return [database, journal]


def _write_probe(directory: Path) -> str | None:
    """Write, fsync and remove a small file the way the journal writes: None if that works.
    (A permission check alone says nothing for root, a read-only mount or a full disk.)"""
    probe = directory / f".health-probe-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"ok\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        probe.unlink()
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


# Worker heartbeats (--workers): the supervisor's one endpoint reads them -------------------

def heartbeat_path(run_dir: Path, worker_id: int) -> Path:
    return Path(run_dir) / f"worker-{worker_id}.health.json"


def write_heartbeat(path: Path, status: int, body: dict[str, Any]) -> None:
    """Atomically replace the worker's heartbeat file (status, body, time written)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"status": status, "body": body, "written": time.time()}))
    os.replace(tmp, path)


def read_heartbeat(path: Path, name: str, now: float | None = None) -> Check:
    """A worker's health as one check: down when missing, stale, or reporting a failure."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return Check(name, False, "no heartbeat (starting, or down)")
    age = (now if now is not None else time.time()) - float(data.get("written", 0))
    if age > HEARTBEAT_STALE_S:
        return Check(name, False, f"heartbeat {age:.0f} s old")
    body = data.get("body", {})
    if int(data.get("status", 503)) != 200:
        return Check(name, False, "failing: " + ", ".join(body.get("failing", [])))
    return Check(name, True, f"{body.get('calls', 0)} call(s)")


def as_dict(check: Check) -> dict[str, Any]:
    return asdict(check)


def agent_checks(agent: Any) -> list[CheckFn]:
    """One agent's checks: taking calls (not draining), room on the disk, then the ticket
    store's."""

    def sip() -> Check:
        if getattr(agent, "draining", not agent.engine.accepting):
            return Check("sip", False, "draining: new calls get 503")
        return Check("sip", True, "taking calls" if agent.engine.accepting else "refusing calls")

    def disk() -> Check:
        problem = getattr(agent, "disk_problem", "")
        return Check("disk", not problem, problem or "room to keep tickets")

    checks: list[CheckFn] = [sip, disk]
    tickets = getattr(agent.services, "tickets", None)
    if tickets is not None:
        checks += ticket_checks(tickets)
    return checks


def agent_health(agent: Any, extra: Iterable[CheckFn] = ()) -> tuple[int, dict[str, Any]]:
    """GET /health of a single agent (and the body of a worker's heartbeat)."""
    facts: dict[str, Any] = {
        "accepting": agent.engine.accepting,
        "calls": len(agent.active_sessions),
        "max_calls": agent.engine.max_calls,
        "calls_finished": agent.calls_finished,
    }
    problem = getattr(agent, "disk_problem", "")
    if problem:
        facts["reason"] = problem  # why calls are refused for a fault
    return health_response(run_checks([*agent_checks(agent), *extra]), **facts)


def supervisor_checks(sup: Any, run_dir: Path, worker_names: list[tuple[int, str]]
                      ) -> list[CheckFn]:
    """The whole --workers set: not draining, the front running, every worker up and well."""

    def draining() -> Check:
        if sup.stopping:
            return Check("draining", False, "stopping: workers refuse new calls with 503")
        return Check("draining", True, "taking calls")

    checks: list[CheckFn] = [draining]
    if any(c.spec.kind == "front" for c in sup.children):
        checks.append(lambda: Check("front", sup.alive("front"),
                                    "running" if sup.alive("front") else "not running"))

    def worker_check(worker_id: int, name: str) -> CheckFn:
        def check() -> Check:
            if not sup.alive(name):
                return Check(name, False, "not running")
            return read_heartbeat(heartbeat_path(run_dir, worker_id), name)
        return check

    checks += [worker_check(k, name) for k, name in worker_names]
    return checks
