"""Supervisor: N worker agents (and optionally a Kamailio front) as children of one process.

Why a supervisor: the pjsua2 wheel holds at most 4 calls per process, so a hotline with more
lines runs several `ivr serve` workers on internal ports behind one public SIP address. The
supervisor starts them, restarts one that dies (exponential back-off, logged), forwards SIGHUP
(reload) to the workers, and on SIGTERM/SIGINT drains: the workers get SIGTERM (they answer 503
to new calls and finish the ones they have), the front keeps routing in-dialog requests until
the last worker is gone or the drain timeout passes, then the front is stopped.

Every child's stdout/stderr goes, line by line, into this process's log with the child's name.
Every spawn happens on the main thread: children get PR_SET_PDEATHSIG, which fires when the
thread that forked them ends, so a supervisor killed with -9 takes its children with it.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ivr.config import ScaleSettings
from ivr.scale.backoff import Backoff
from ivr.scale.memory import rss_kib

log = logging.getLogger(__name__)

POLL_S = 0.1
FRONT_STOP_TIMEOUT_S = 5.0
KILL_WAIT_S = 5.0
STATUS_INTERVAL_S = ScaleSettings().status_interval_s  # scale.status_interval_s
DRAIN_MARGIN_S = 5.0
# The recogniser service loads its model (~3 s quiet, longer under load) before it answers;
# workers wait for it at most this long, then start anyway (their calls use the keypad until
# it answers).
SERVICE_READY_TIMEOUT_S = 60.0
FRONTS = ("none", "kamailio")
_PR_SET_PDEATHSIG = 1

try:
    _LIBC: Any = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not Linux
    _LIBC = None


def _child_setup() -> None:
    """Runs in the forked child: die with the supervisor (Linux), own process group."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


INFRA_KINDS = ("front", "service")


@dataclass(frozen=True)
class ChildSpec:
    """One supervised program."""

    name: str  # "worker 1", "front"
    argv: tuple[str, ...]
    kind: str = "worker"  # "worker", "front" or "service" (the host's recogniser service)
    worker_id: int = 0
    sip_port: int = 0
    env: dict[str, str] | None = None
    # Infrastructure only: True once the child serves (e.g. the recogniser service answers a
    # ping). Workers are started when every such check passes, or after the ready timeout.
    ready: Callable[[], bool] | None = field(default=None, compare=False)


@dataclass
class ChildState:
    spec: ChildSpec
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restarts: int = 0
    restart_at: float | None = None
    pump: threading.Thread | None = None


@dataclass(frozen=True)
class WorkerStatus:
    name: str
    pid: int | None
    sip_port: int
    rss_kib: int | None
    restarts: int
    up_s: float


def line_level(text: str) -> int:
    """Log level of one line a child printed (Python logging or Kamailio format)."""
    upper = text[:200].upper()
    if "CRITICAL" in upper or " ERROR" in upper or "ERROR:" in upper or "TRACEBACK" in upper:
        return logging.ERROR
    if "WARNING" in upper or "WARN:" in upper or " NOTICE:" in upper:
        return logging.WARNING
    if " DEBUG" in upper or "DEBUG:" in upper:
        return logging.DEBUG
    return logging.INFO


def _pump(name: str, stream: IO[bytes]) -> None:
    """Copy a child's output into our log, one record per line."""
    child_log = logging.getLogger(f"{__name__}.child")
    try:
        for raw in iter(stream.readline, b""):
            text = raw.decode("utf-8", "replace").rstrip()
            if text:
                child_log.log(line_level(text), "[%s] %s", name, text)
    except (OSError, ValueError) as exc:
        log.warning("%s: output pipe failed: %s", name, exc)
    finally:
        with contextlib.suppress(OSError):
            stream.close()


class Supervisor:
    """Runs children until asked to stop; ``run()`` blocks and returns the exit code."""

    def __init__(
        self,
        children: Sequence[ChildSpec],
        *,
        drain_timeout_s: float = 30.0,
        backoff: Backoff | None = None,
        status_interval_s: float = STATUS_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        ready_timeout_s: float = SERVICE_READY_TIMEOUT_S,
    ) -> None:
        self.children = [ChildState(spec) for spec in children]
        self.ready_timeout_s = ready_timeout_s
        self.drain_timeout_s = drain_timeout_s
        self.backoff = backoff or Backoff()
        self.status_interval_s = status_interval_s
        self.clock = clock
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._wake = threading.Event()
        self.stop_reason = ""
        self.on_child_exit: Callable[[ChildSpec, int], None] | None = None  # (spec, pid)
        self.on_reload: Callable[[], None] | None = None  # after SIGHUP went to the workers

    # Signals ------------------------------------------------------------------------------
    def request_stop(self, reason: str = "stop requested") -> None:
        self.stop_reason = self.stop_reason or reason
        self._stop.set()
        self._wake.set()

    def request_reload(self) -> None:
        self._reload.set()
        self._wake.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, lambda *_: self.request_stop("SIGTERM"))
        signal.signal(signal.SIGINT, lambda *_: self.request_stop("SIGINT"))
        signal.signal(signal.SIGHUP, lambda *_: self.request_reload())

    # Children -----------------------------------------------------------------------------
    def _spawn(self, child: ChildState) -> None:
        spec = child.spec
        env = dict(os.environ, **(spec.env or {}))
        env.setdefault("PYTHONUNBUFFERED", "1")
        try:
            proc = subprocess.Popen(
                list(spec.argv),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # a terminal's Ctrl-C reaches only us; we drain
                preexec_fn=_child_setup,  # only prctl, prepared before fork
            )
        except OSError as exc:
            child.proc = None
            child.failures += 1
            delay = self.backoff.delay_s(child.failures)
            child.restart_at = self.clock() + delay
            log.error("%s: cannot start %s: %s; retry in %.1f s", spec.name, spec.argv[0], exc,
                      delay)
            return
        child.proc = proc
        child.started_at = self.clock()
        child.restart_at = None
        assert proc.stdout is not None
        child.pump = threading.Thread(
            target=_pump, args=(spec.name, proc.stdout), name=f"pump-{spec.name}", daemon=True
        )
        child.pump.start()
        port = f" on port {spec.sip_port}" if spec.sip_port else ""
        log.info("%s: started pid %d%s", spec.name, proc.pid, port)

    def _reap(self, child: ChildState, now: float) -> None:
        proc = child.proc
        if proc is None or proc.poll() is None:
            return
        ran_s = now - child.started_at
        code = proc.returncode
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"code {code}"
        child.proc = None
        if self.on_child_exit is not None:
            try:
                self.on_child_exit(child.spec, proc.pid)
            except Exception:
                log.exception("%s: exit hook failed", child.spec.name)
        if self._stop.is_set():
            log.info("%s: pid %d exited with %s", child.spec.name, proc.pid, how)
            return
        child.failures = self.backoff.failures_after(child.failures, ran_s)
        delay = self.backoff.delay_s(child.failures)
        child.restart_at = now + delay
        log.warning("%s: pid %d exited with %s after %.1f s; restart in %.1f s "
                    "(failure %d in a row)", child.spec.name, proc.pid, how, ran_s, delay,
                    child.failures)

    def _signal(self, child: ChildState, sig: int) -> None:
        if child.proc is not None and child.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                child.proc.send_signal(sig)

    def _kill_group(self, child: ChildState) -> None:
        proc = child.proc
        if proc is None or proc.poll() is not None:
            return
        log.warning("%s: pid %d did not stop in time; killing it", child.spec.name, proc.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(KILL_WAIT_S)

    def _wait_exit(self, children: Sequence[ChildState], timeout_s: float) -> None:
        deadline = self.clock() + timeout_s
        while self.clock() < deadline:
            if all(c.proc is None or c.proc.poll() is not None for c in children):
                return
            time.sleep(POLL_S)

    # Status -------------------------------------------------------------------------------
    @property
    def stopping(self) -> bool:
        """True once SIGTERM/SIGINT arrived: the workers drain."""
        return self._stop.is_set()

    def alive(self, name: str) -> bool:
        """Whether the child called ``name`` ("front", "worker 2") is running now."""
        for child in self.children:
            if child.spec.name == name:
                return child.proc is not None and child.proc.poll() is None
        return False

    def status(self) -> list[WorkerStatus]:
        """Pid, port, RSS and restarts of every child now."""
        now = self.clock()
        result = []
        for child in self.children:
            proc = child.proc
            alive = proc is not None and proc.poll() is None
            pid = proc.pid if alive and proc is not None else None
            result.append(WorkerStatus(
                name=child.spec.name, pid=pid, sip_port=child.spec.sip_port,
                rss_kib=rss_kib(pid) if pid else None, restarts=child.restarts,
                up_s=now - child.started_at if alive else 0.0,
            ))
        return result

    def log_status(self) -> None:
        for st in self.status():
            rss = f"{st.rss_kib / 1024:.1f} MiB" if st.rss_kib is not None else "-"
            log.info("%s: pid %s port %s rss %s restarts %d up %.0f s", st.name, st.pid or "-",
                     st.sip_port or "-", rss, st.restarts, st.up_s)

    # Main loop ----------------------------------------------------------------------------
    def run(self) -> int:
        # The front and the recogniser service start first and stop last: workers need them,
        # and start once every infrastructure child with a readiness check answers it.
        fronts = [c for c in self.children if c.spec.kind in INFRA_KINDS]
        workers = [c for c in self.children if c.spec.kind not in INFRA_KINDS]
        for child in fronts:
            self._spawn(child)
        started = self.clock()
        waiting = [c for c in fronts if c.spec.ready is not None]
        workers_started = False
        next_status = started + min(5.0, self.status_interval_s)
        while not self._stop.is_set():
            if not workers_started:
                waiting = self._still_waiting(waiting, started)
                if not waiting:
                    for child in workers:
                        self._spawn(child)
                    workers_started = True
            self._wake.wait(POLL_S)
            self._wake.clear()
            now = self.clock()
            for child in self.children:
                self._reap(child, now)
                if (child.proc is None and child.restart_at is not None
                        and now >= child.restart_at and not self._stop.is_set()):
                    child.restarts += 1
                    log.info("%s: restarting (restart %d)", child.spec.name, child.restarts)
                    self._spawn(child)
            if self._reload.is_set():
                self._reload.clear()
                log.info("SIGHUP: asking %d worker(s) to reload their configuration",
                         len(workers))
                for child in workers:
                    self._signal(child, signal.SIGHUP)
                if self.on_reload is not None:
                    try:
                        self.on_reload()
                    except Exception:
                        log.exception("reload hook failed")
            if now >= next_status:
                self.log_status()
                next_status = now + self.status_interval_s
        return self._shutdown(fronts, workers)

    def _still_waiting(self, waiting: list[ChildState], started: float) -> list[ChildState]:
        """The infrastructure children not ready yet; none once the ready timeout has passed
        (logged: the workers start anyway and their calls use the keypad until it answers)."""
        now = self.clock()
        left = []
        for child in waiting:
            check = child.spec.ready
            try:
                ok = check is not None and check()
            except Exception:  # a readiness probe must never stop the supervisor
                log.exception("%s: readiness check failed", child.spec.name)
                ok = False
            if ok:
                log.info("%s: ready after %.1f s; starting the workers", child.spec.name,
                         now - started)
            else:
                left.append(child)
        if left and now - started >= self.ready_timeout_s:
            for child in left:
                log.warning("%s: not ready after %.1f s; starting the workers anyway (their "
                            "calls use the keypad until it answers)", child.spec.name,
                            self.ready_timeout_s)
            return []
        return left

    def _shutdown(self, fronts: list[ChildState], workers: list[ChildState]) -> int:
        log.info("%s: draining %d worker(s) (up to %.0f s)", self.stop_reason or "stop",
                 sum(c.proc is not None for c in workers), self.drain_timeout_s)
        for child in workers:
            self._signal(child, signal.SIGTERM)
        self._wait_exit(workers, self.drain_timeout_s + DRAIN_MARGIN_S)
        for child in workers:
            self._kill_group(child)
            self._reap(child, self.clock())
        if fronts:
            log.info("workers stopped; stopping the front")
        for child in fronts:
            self._signal(child, signal.SIGTERM)
        self._wait_exit(fronts, FRONT_STOP_TIMEOUT_S)
        for child in fronts:
            self._kill_group(child)
        for child in self.children:
            if child.proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.proc.wait(KILL_WAIT_S)
            self._reap(child, self.clock())
            if child.pump is not None:
                child.pump.join(timeout=2.0)
        log.info("all children stopped")
        return 0


class ScaleError(ValueError):
    """Bad --workers/--front/port combination; the message says what is allowed."""


def worker_port(base_worker_port: int, worker_id: int) -> int:
    """Worker ``worker_id`` (1-based) listens on ``base_worker_port + worker_id - 1``."""
    return base_worker_port + worker_id - 1


def plan_workers(
    workers: int,
    front: str,
    sip_port: int,
    base_worker_port: int,
    worker_argv: Callable[[int], list[str]],
) -> tuple[ChildSpec, ...]:
    """Validate the numbers and build one ChildSpec per worker (ids 1..N)."""
    if front not in FRONTS:
        raise ScaleError(f"--front {front!r}: allowed values are {', '.join(FRONTS)}")
    if not 1 <= workers <= 64:
        raise ScaleError(f"--workers {workers}: allowed range is 1-64")
    last = worker_port(base_worker_port, workers)
    if not 1024 <= base_worker_port or last > 65535:
        raise ScaleError(f"worker ports {base_worker_port}-{last} must lie within 1024-65535")
    if front != "none" and base_worker_port <= sip_port <= last:
        raise ScaleError(f"the public SIP port {sip_port} falls inside the worker ports "
                         f"{base_worker_port}-{last}; choose another --base-worker-port")
    specs = []
    for k in range(1, workers + 1):
        argv = worker_argv(k)
        if not argv:
            raise ScaleError(f"worker_argv({k}) returned an empty command line")
        specs.append(ChildSpec(name=f"worker {k}", argv=tuple(argv), kind="worker",
                               worker_id=k, sip_port=worker_port(base_worker_port, k)))
    return tuple(specs)


def run_supervisor(
    settings: Any,
    workers: int,
    front: str,
    sip_port: int,
    base_worker_port: int,
    worker_argv: Callable[[int], list[str]],
    *,
    data_dir: Path | None = None,
    worker_address: str = "127.0.0.1",
    front_address: str | None = None,
    drain_timeout_s: float | None = None,
    backoff: Backoff | None = None,
    front_overrides: dict[str, Any] | None = None,
    status_interval_s: float | None = None,
    on_started: Callable[[Supervisor], Callable[[], None] | None] | None = None,
    services: Sequence[ChildSpec] = (),
) -> int:
    """Run ``workers`` agents (and a Kamailio front) until SIGTERM/SIGINT; returns exit code.

    ``worker_argv(k)`` is the command line of worker ``k`` (1..N); it must make the worker
    listen on ``worker_address:worker_port(base_worker_port, k)``. With one worker and no
    front the current process is replaced by that worker (exec), nothing is supervised.
    ``front="kamailio"`` renders deploy/kamailio/kamailio.cfg.tmpl into
    ``<data_dir>/front/``, checks it with ``kamailio -c`` and runs Kamailio in the foreground
    on ``front_address:sip_port`` (default ``settings.sip.bind_address``) as a child.
    The front's probing, flood limits and trusted sources, the restart back-off and the
    status interval come from ``settings.scale``; the keyword arguments override them.
    ``services`` (the recogniser service) start before the workers and stop after them.
    """
    from ivr.scale import kamailio  # here: only the front path needs it

    specs = plan_workers(workers, front, sip_port, base_worker_port, worker_argv)
    if workers == 1 and front == "none":
        argv = list(specs[0].argv)
        log.info("one worker, no front: exec %s", " ".join(argv))
        sys.stdout.flush()
        sys.stderr.flush()
        os.execvp(argv[0], argv)
    sip = getattr(settings, "sip", None)
    if drain_timeout_s is None:
        drain_timeout_s = float(getattr(sip, "drain_timeout_s", 30.0))
    children: list[ChildSpec] = [*services, *specs]
    if front == "kamailio":
        if data_dir is None:
            data_dir = Path(getattr(settings, "data_dir", "."))
        try:
            params = kamailio.front_params(
                settings, sip_port,
                [kamailio.worker_uri(worker_address, s.sip_port) for s in specs],
                listen_address=front_address, **(front_overrides or {}),
            )
            files = kamailio.write_front_files(data_dir, params)
            argv = kamailio.kamailio_argv(files)
        except (kamailio.FrontError, OSError) as exc:
            log.error("front: %s", exc)
            return 1
        ok, output = kamailio.check_config(files.config)
        if not ok:
            log.error("front: %s does not pass `kamailio -c`:\n%s", files.config, output)
            return 1
        log.info("front: %s; config %s", kamailio.describe_front(params), files.config)
        children.insert(0, ChildSpec(name="front", argv=tuple(argv), kind="front",
                                     sip_port=sip_port))
    elif getattr(sip, "registrar", None) is None:
        log.warning("%d workers without a front and without sip.registrar: callers can reach "
                    "them only by their own ports %d-%d", workers, specs[0].sip_port,
                    specs[-1].sip_port)
    scale = getattr(settings, "scale", None) or ScaleSettings()
    if status_interval_s is None:
        status_interval_s = scale.status_interval_s
    sup = Supervisor(children, drain_timeout_s=drain_timeout_s,
                     backoff=backoff or Backoff.from_settings(settings),
                     status_interval_s=status_interval_s)
    sup.install_signal_handlers()
    # e.g. the admin endpoint of the whole set; what it returns runs once everything stopped
    cleanup = on_started(sup) if on_started is not None else None
    try:
        return sup.run()
    finally:
        if cleanup is not None:
            cleanup()
