"""`ivr serve --workers N [--front kamailio]`: the plan from serve's arguments to the supervisor.

Named by its role: it supervises nothing; it builds worker command lines and ports and hands
them to the supervisor (ivr.scale.supervisor).

The supervisor itself lives in ivr.scale (supervisor.py, kamailio.py); this module only turns
the `ivr serve` command line into worker command lines and ports:

* the front (Kamailio) listens on the public address: --bind / sip.bind_address, --sip-port /
  sip.port;
* worker k (1..N) is `ivr serve --bind 127.0.0.1 --sip-port <sip port + 10 + k> --worker-id k`
  (10 = scale.worker_port_offset_count) with the same --config, --set, --no-asr and -v (the
  database URL, a secret, goes through the environment as IVR_DATABASE_URL):
  workers listen on loopback only, so SIP reaches them only through the front. For workers on
  other machines see deploy/README.md;
* with --workers > 1 and a speech model, one recogniser service for the host
  (ivr.media.asr_backends.server) holds the model; workers get --set asr.service_socket=...;
* the front for --workers > 1 is scale.front unless --front says otherwise; the front's limits,
  the restart back-off and the status interval come from the [scale] section too.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ivr.config import DATABASE_URL_ENV, ScaleSettings, without_secrets
from ivr.ops.health import heartbeat_path
from ivr.scale.supervisor import ChildSpec, ScaleError, run_supervisor, worker_port

log = logging.getLogger(__name__)

WORKER_ADDRESS = "127.0.0.1"
PROMPT_RENDER_TIMEOUT_S = 600.0
READY_PING_TIMEOUT_S = 0.5  # one readiness ping of the recogniser service (supervisor loop)

__all__ = ["base_worker_port", "choose_front", "describe_scale", "front_params_for", "pid_file",
           "run_from_serve_args", "run_supervisor", "serve_worker_argv", "worker_media_argv",
           "worker_rtp_range"]


def _scale(settings: Any) -> ScaleSettings:
    return getattr(settings, "scale", None) or ScaleSettings()


def base_worker_port(settings: Any, sip_port: int) -> int:
    """Port of worker 1: the public port + scale.worker_port_offset_count + 1."""
    return sip_port + _scale(settings).worker_port_offset_count + 1


def choose_front(settings: Any, workers: int, front_arg: str | None) -> str:
    """--front wins; otherwise scale.front for several workers and none for one."""
    if front_arg:
        return front_arg
    return _scale(settings).front if workers > 1 else "none"


def front_params_for(settings: Any, workers: int = 1, sip_port: int | None = None) -> Any:
    """The FrontParams `ivr serve --workers N` would render (for `ivr doctor` and admins)."""
    from ivr.scale import kamailio

    port = int(sip_port or settings.sip.port)
    base = base_worker_port(settings, port)
    destinations = [kamailio.worker_uri(WORKER_ADDRESS, worker_port(base, k))
                    for k in range(1, max(1, workers) + 1)]
    return kamailio.front_params(settings, port, destinations)


def describe_scale(settings: Any) -> str:
    """One line: the front and supervisor settings `ivr serve --workers N > 1` will use."""
    scale = _scale(settings)
    port = int(settings.sip.port)
    sip = settings.sip
    media = getattr(sip, "media_address", None) or sip.bind_address
    low, high = getattr(sip, "rtp_port_min", 0), getattr(sip, "rtp_port_max", 0)
    ports = f" ports {low}-{high} split between workers" if low else ""
    public = getattr(sip, "public_address", None)
    rtp = f"RTP on {media}{ports}" + (f" (SDP says {public})" if public else "")
    workers = (f"worker k on {WORKER_ADDRESS}:{port}+{scale.worker_port_offset_count}+k, "
               f"{rtp}; restart {scale.restart_initial_s:g}-{scale.restart_max_s:g} s")
    if scale.front == "none":
        registrar = getattr(settings.sip, "registrar", None)
        how = (f"every worker registers with {registrar}" if registrar
               else "no sip.registrar: callers must dial the worker ports")
        return f"none ({how}); {workers}"
    params = front_params_for(settings)
    trusted = ", ".join(params.trusted_sources) or "none"
    return (f"kamailio on {params.listen_address}:{port}; {workers}; probe "
            f"{params.probe_interval_s} s, worker timeout {params.fr_timer_ms} ms; ban "
            f"{params.ban_s} s after {params.pike_requests_count} requests in "
            f"{params.pike_unit_s} s; trusted: {trusted}")


def worker_media_argv(settings: Any, args: argparse.Namespace, worker_id: int, workers: int
                      ) -> list[str]:
    """Where worker k takes RTP: the front relays SIP only, so audio must reach the worker
    directly. Its SIP stays on loopback, its RTP binds to --media-address / sip.media_address,
    else the front's own address (--bind / sip.bind_address): the address the caller already
    reached. A configured RTP port range is split evenly, so workers never race for a port.
    """
    sip = settings.sip
    media = (getattr(args, "media_address", None) or getattr(sip, "media_address", None)
             or getattr(args, "bind", None) or sip.bind_address)
    argv = ["--media-address", str(media)]
    public = getattr(args, "public_address", None)
    if public:
        argv += ["--public-address", public]
    low, high = int(getattr(sip, "rtp_port_min", 0)), int(getattr(sip, "rtp_port_max", 0))
    if low:
        low_k, high_k = worker_rtp_range(low, high, worker_id, workers, sip.max_calls_count)
        argv += ["--set", f"sip.rtp_port_min={low_k}", "--set", f"sip.rtp_port_max={high_k}"]
    return argv


def worker_rtp_range(low: int, high: int, worker_id: int, workers: int, calls: int
                     ) -> tuple[int, int]:
    """Worker k's share of sip.rtp_port_min..max (even-aligned); ScaleError when too small."""
    share = (high - low + 1) // max(1, workers) // 2 * 2
    need = 2 * calls
    if share < need:
        raise ScaleError(
            f"sip.rtp_port_min..sip.rtp_port_max = {low}..{high} holds {high - low + 1} ports; "
            f"{workers} workers x {calls} calls x 2 ports need at least {need * workers}"
        )
    start = low + (worker_id - 1) * share
    return start, start + share - 1


def asr_service_socket(settings: Any, sip_port: int) -> Path:
    """Where the recogniser service of `ivr serve --sip-port PORT --workers N` listens."""
    return Path(settings.data_dir) / "run" / f"asr-{sip_port}.sock"


def asr_service_spec(settings: Any, args: argparse.Namespace, sip_port: int,
                     ) -> ChildSpec | None:
    """The host's recogniser service for N workers: one process holding the one speech model
    (issue 16: one model per host, not per worker). None when speech is off (--no-asr), when
    no model is installed for the locale, or when asr.service_socket points at a service the
    operator runs themselves."""
    if getattr(args, "no_asr", False) or settings.asr.service_socket:
        return None
    from ivr.media.models import model_for_locale

    model_dir = model_for_locale(settings.asr.model, settings.data_dir,
                                 settings.service.default_locale)
    if model_dir is None:
        return None
    from ivr.media.asr_backends.service import ping

    sock = asr_service_socket(settings, sip_port)
    argv = (sys.executable, "-m", "ivr.media.asr_backends.server", "--model", str(model_dir),
            "--socket", str(sock))
    # Workers start once it answers (the model loads in ~3 s): a call in that window would
    # get the keypad fallback.
    return ChildSpec(name="asr service", argv=argv, kind="service",
                     ready=functools.partial(ping, sock, READY_PING_TIMEOUT_S))


def serve_worker_argv(args: argparse.Namespace, worker_id: int, port: int,
                      trusted: Sequence[str] = (), asr_socket: Path | None = None,
                      media: list[str] | None = None, heartbeat: Path | None = None
                      ) -> list[str]:
    """The `ivr serve` command line of one worker, carrying over the operator's options.

    ``trusted`` (the front's address) goes to the worker's ``sip.trusted_sources``: the
    worker's per-source limits then count each caller by the Via the front adds, not the
    front itself (docs/security.md). ``asr_socket``: the host's recogniser service.
    ``media`` (from :func:`worker_media_argv`) comes after the operator's --set so it wins;
    ``heartbeat`` is the file the supervisor's one admin endpoint reads (workers open no
    admin port).
    """
    argv = [sys.executable, "-m", "ivr.cli"]
    if getattr(args, "config", None):
        argv += ["--config", str(Path(args.config).resolve())]
    argv += ["-v"] * int(getattr(args, "verbose", 0) or 0)
    if getattr(args, "log_format", "text") == "json":
        argv += ["--log-format", "json"]
    argv += ["serve", "--bind", WORKER_ADDRESS, "--sip-port", str(port),
             "--worker-id", str(worker_id), "--workers", "1", "--front", "none"]
    if getattr(args, "no_asr", False):
        argv.append("--no-asr")
    # --db and --set database.url are secrets: they reach the workers through the environment.
    for assignment in without_secrets(getattr(args, "set", None) or []):
        argv += ["--set", assignment]
    if trusted:
        listed = ", ".join(f'"{entry}"' for entry in trusted)
        argv += ["--set", f"sip.trusted_sources=[{listed}]"]
    if asr_socket is not None:
        argv += ["--set", f"asr.service_socket={json.dumps(str(asr_socket))}"]
    argv += media or []
    if heartbeat is not None:  # the supervisor's one admin endpoint reads it; no port per worker
        argv += ["--heartbeat", str(heartbeat)]
    return argv


def worker_environment(settings: Any) -> dict[str, str]:
    """What a worker gets through the environment, not its command line (visible in `ps`):
    the database URL the operator chose (--db, --set database.url, $IVR_DATABASE_URL)."""
    return {DATABASE_URL_ENV: str(settings.database_url)}


def warm_prompt_cache(args: argparse.Namespace) -> bool:
    """Render the prompt cache once before N workers start, instead of N times in parallel.

    The workers share the data directory, and on a first start each would synthesise the same
    ~100 phrases (measured: 3 workers on 2 cores, 32 s). A failure here is not fatal: each
    worker still renders what it misses.
    """
    argv = [sys.executable, "-m", "ivr.cli"]
    if getattr(args, "config", None):
        argv += ["--config", str(Path(args.config).resolve())]
    argv += ["prompts", "render"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=PROMPT_RENDER_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("prompt pre-render did not finish (%s); workers render their own", exc)
        return False
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        log.warning("prompt pre-render failed (exit %d): %s; workers render their own",
                    proc.returncode, " | ".join(tail))
        return False
    log.info("prompt cache ready for the workers")
    return True


def pid_file(settings: Any, port: int) -> Path:
    """Where `ivr serve` on PORT (agent or supervisor) writes its pid for `ivr reload`."""
    return Path(settings.data_dir) / "run" / f"ivr-serve-{port}.pid"


def _write_pid_file(settings: Any, port: int) -> Path:
    """So `ivr reload --sip-port PORT` reaches the supervisor, which forwards SIGHUP."""
    path = pid_file(settings, port)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{os.getpid()}\n")
    return path


def workers_run_dir(settings: Any, sip_port: int) -> Path:
    """Heartbeats and metric files of the --workers set on ``sip_port``."""
    path = Path(settings.data_dir) / "run" / f"workers-{sip_port}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _start_set_admin(sup: Any, settings: Any, args: argparse.Namespace, run_dir: Path,
                     workers: int) -> Callable[[], None] | None:
    """The one admin endpoint of the whole set, served by the supervisor: /health and /metrics
    for every worker, and the web console (the same app as `ivr console`) on the same ticket
    database. Its live page reads every worker's live file; its settings apply signals the
    supervisor, which forwards SIGHUP to the workers."""
    admin_port = int(getattr(args, "admin_port", 0) or 0)
    if not admin_port:
        return None
    from ivr.console.app import build_console
    from ivr.console.server import BackgroundServer, agent_app
    from ivr.console.webhooks import start_for
    from ivr.ops.health import health_response, run_checks, supervisor_checks
    from ivr.ops.metrics import render, worker_exited
    from ivr.tickets.service import TicketService

    sup.on_child_exit = lambda spec, pid: worker_exited(pid) if spec.kind == "worker" else None
    # Not started: the workers own the schema upgrade and the journal replay.
    tickets = TicketService.from_settings(settings, start=False, url=getattr(args, "db", None))
    names = [(k, f"worker {k}") for k in range(1, workers + 1)]
    checks = supervisor_checks(sup, run_dir, names)

    def health() -> tuple[int, dict[str, Any]]:
        return health_response(run_checks(checks), workers=workers)

    console = build_console(settings, tickets=tickets)
    server = BackgroundServer(agent_app(console, health, lambda: render(tickets)),
                              getattr(args, "admin_bind", "127.0.0.1"), admin_port).start()
    server.on_stop.append(start_for(console).stop)
    sup.on_reload = lambda: _reload_console(console, args)

    def stop() -> None:
        server.shutdown()
        tickets.shutdown()

    return stop


def _reload_console(console: Any, args: argparse.Namespace) -> None:
    """On SIGHUP the supervisor's console shows the file's settings too (a bad file keeps the
    old ones: the workers refuse it the same way)."""
    from ivr.config import ConfigError, cli_overrides, load_settings

    try:
        console.settings = load_settings(
            getattr(args, "config", None),
            overrides=cli_overrides(getattr(args, "set", None) or [], getattr(args, "db", None)))
    except ConfigError as exc:
        log.warning("reload: the console keeps its settings: %s", exc)


def run_from_serve_args(settings: Any, args: argparse.Namespace) -> int:
    """Entry point used by `ivr serve` when --workers > 1 or --front kamailio."""
    workers = int(args.workers)
    front = choose_front(settings, workers, args.front)
    sip_port = int(args.sip_port or settings.sip.port)
    base = base_worker_port(settings, sip_port)

    try:
        media = {k: worker_media_argv(settings, args, k, workers) for k in range(1, workers + 1)}
    except ScaleError as exc:
        print(f"ivr serve: {exc}", file=sys.stderr)
        return 2

    run_dir = workers_run_dir(settings, sip_port)
    trusted: list[str] = []
    if front != "none":
        front_at = args.bind or settings.sip.bind_address
        trusted = list(dict.fromkeys([*settings.sip.trusted_sources, front_at]))
    service = asr_service_spec(settings, args, sip_port) if workers > 1 else None
    asr_socket = asr_service_socket(settings, sip_port) if service is not None else None

    def worker_argv(k: int) -> list[str]:
        return serve_worker_argv(args, k, worker_port(base, k), trusted, asr_socket,
                                 media.get(k), heartbeat_path(run_dir, k))

    # Children (and a single worker exec'd in our place) inherit our environment.
    os.environ.update(worker_environment(settings))
    pid_path = None
    if not (workers == 1 and front == "none"):
        pid_path = _write_pid_file(settings, sip_port)
        if workers > 1:
            warm_prompt_cache(args)
    try:
        from ivr.ops.metrics import MULTIPROC_ENV, prepare_multiprocess_dir

        prepare_multiprocess_dir(run_dir / "metrics")
        os.environ[MULTIPROC_ENV] = str(run_dir / "metrics")  # inherited by every worker
        return run_supervisor(
            settings, workers, front, sip_port, base, worker_argv,
            worker_address=WORKER_ADDRESS, front_address=args.bind or None,
            services=(service,) if service is not None else (),
            on_started=lambda sup: _start_set_admin(sup, settings, args, run_dir, workers),
        )
    except ScaleError as exc:
        print(f"ivr serve: {exc}", file=sys.stderr)
        return 2
    finally:
        if pid_path is not None:
            pid_path.unlink(missing_ok=True)
