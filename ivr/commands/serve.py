"""`ivr serve`: answer hotline calls; `ivr reload`: apply an edited configuration."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ivr.commands._common import load_or_report, overrides_from
from ivr.config import ConfigError, Settings, load_settings
from ivr.serve_plan import pid_file, run_from_serve_args

log = logging.getLogger(__name__)

SERVE_HELP = """\
Start the answering agent: one pjsua2 endpoint on --bind/--sip-port holding at most 4 calls
(the pjsua2-python wheel's limit). Prints where it listens, then one line per call: masked
caller, duration, end reason, tickets.

Signals: SIGTERM (or Ctrl-C) stops taking calls (503 with Retry-After), lets calls in progress
end with the closing phrase within sip.drain_timeout_s, then exits. SIGHUP (or `ivr reload`)
reloads prompts, timers and thresholds without dropping calls; an invalid configuration is
refused with the same messages as `ivr config check` and the old one stays in force.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="answer hotline calls (SIP)",
        description=SERVE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--bind", help="address to listen on (default: sip.bind_address)")
    parser.add_argument("--sip-port", type=int, help="SIP port (default: sip.port)")
    parser.add_argument(
        "--media-address",
        help="address RTP binds to (default: sip.media_address, else the SIP bind address; "
        "with --workers: the front's address)",
    )
    parser.add_argument(
        "--public-address",
        help="address written into SDP c= when callers reach us through NAT "
        "(default: sip.public_address, else the media address)",
    )
    parser.add_argument(
        "--admin-port",
        type=int,
        default=0,
        help="serve the web console, GET /health and GET /metrics on 127.0.0.1:PORT (0 = off; "
        "with --workers one console, /health and /metrics for the whole set); console accounts: "
        "ivr users add",
    )
    parser.add_argument("--admin-bind", default="127.0.0.1", help="address of the admin endpoint")
    parser.add_argument("--no-asr", action="store_true", help="run on the DTMF menu only")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="number of agent processes (>1 puts them behind Kamailio; see deploy/README.md)",
    )
    parser.add_argument(
        "--front",
        choices=("none", "kamailio"),
        default=None,
        help="SIP front for the workers (default: scale.front when --workers > 1)",
    )
    parser.add_argument("--worker-id", type=int, default=0, help=argparse.SUPPRESS)
    # a supervised worker writes its health here instead of serving an admin port
    parser.add_argument("--heartbeat", default=None, help=argparse.SUPPRESS)
    parser.set_defaults(func=run)

    reload_parser = subparsers.add_parser(
        "reload",
        help="make a running `ivr serve` reload its configuration (SIGHUP)",
        description="Check the configuration, then send SIGHUP to the agent listening on the "
        "given port (its pid file is in the data directory).",
    )
    reload_parser.add_argument("--sip-port", type=int, help="port of the agent (default: sip.port)")
    reload_parser.set_defaults(func=run_reload)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """--set and --db (global options, ivr.cli): also re-applied on every reload."""
    return overrides_from(args)


def run(args: argparse.Namespace) -> int:
    try:
        overrides = _overrides(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    settings = load_or_report(args.config, overrides=overrides)
    if settings is None:
        return 1
    if args.workers > 1 or args.front == "kamailio":
        return _run_supervisor(args, settings)
    return serve(settings, args)


def _run_supervisor(args: argparse.Namespace, settings: Settings) -> int:
    return int(run_from_serve_args(settings, args))


def serve(settings: Settings, args: argparse.Namespace) -> int:
    # Imported here so `ivr --help` and the pure commands never load pjsua2.
    from ivr.agent import Agent, StartupError, build_services
    from ivr.session import CallOutcome

    if not logging.getLogger().isEnabledFor(logging.INFO):
        logging.getLogger("ivr").setLevel(logging.INFO)
        for handler in logging.getLogger().handlers:
            handler.setLevel(logging.INFO)
    def say(message: str) -> None:
        # A supervised worker's lines get their "[worker k]" prefix from the supervisor.
        print(message, flush=True)

    say(f"ivr serve: configuration {settings.source}")
    try:
        services = build_services(settings, with_asr=not args.no_asr, progress=say)
    except StartupError as exc:
        print(f"ivr serve: cannot start: {exc}", file=sys.stderr, flush=True)
        return 2

    def finished(outcome: CallOutcome) -> None:
        tickets = ",".join(outcome.ticket_ids) or "-"
        target = f" -> {outcome.transfer_target}" if outcome.transfer_target else ""
        say(
            f"call {outcome.call_id[:8]} from {outcome.caller_masked} "
            f"{outcome.duration_s:.1f} s {outcome.end_reason}{target} tickets {tickets}"
        )
        _write_timeline(settings, outcome)

    agent = Agent(settings, services, bind=args.bind, port=args.sip_port,
                  media_address=getattr(args, "media_address", None),
                  public_address=getattr(args, "public_address", None),
                  worker_id=int(getattr(args, "worker_id", 0) or 0),
                  on_call_finished=finished)
    agent.start()
    port = agent.engine.ports.get("udp") or agent.engine.ports.get("tcp") or 0
    say(
        f"listening on {agent.engine.local_uri} ({', '.join(agent.engine.ports)}); "
        f"at most {agent.engine.max_calls} calls"
    )
    pid_path = pid_file(settings, port)
    pid_path.parent.mkdir(parents=True, exist_ok=True)
    pid_path.write_text(f"{os.getpid()}\n")

    admin = _start_admin(agent, args.admin_bind, args.admin_port) if args.admin_port else None
    heartbeat = _Heartbeat(agent, getattr(args, "heartbeat", None))
    heartbeat.start()
    from ivr.console.live import LiveWriter, live_path

    live = LiveWriter(
        live_path(settings.data_dir, port), lambda: [s.snapshot() for s in agent.active_sessions]
    ).start()
    stop = threading.Event()
    reload_requested = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: reload_requested.set())
    say("ready")
    try:
        while not stop.wait(0.2):
            if reload_requested.is_set():
                reload_requested.clear()
                _reload(agent, args, say)
                if getattr(admin, "console", None) is not None:
                    admin.console.settings = agent.settings  # type: ignore[union-attr]
    finally:
        say(f"draining: new calls get 503, {len(agent.active_sessions)} call(s) in progress")
        cut = agent.drain(settings.sip.drain_timeout_s)
        heartbeat.stop()
        if cut:
            say(f"{cut} call(s) still up after {settings.sip.drain_timeout_s:.0f} s: hung up")
        live.stop()
        if admin is not None:
            admin.shutdown()
        agent.stop()
        if services.recognizer_pool is not None:
            services.recognizer_pool.close()
        if services.tickets is not None:
            services.tickets.shutdown()
        pid_path.unlink(missing_ok=True)
        say(f"stopped after {agent.calls_finished} call(s)")
    return 0


def _reload(agent: Any, args: argparse.Namespace, say: Any) -> None:
    """Apply the edited configuration, or refuse it and keep running on the old one: a reload
    must never stop the agent (a non-UTF-8 file once drained it and exited)."""
    try:
        settings = load_settings(args.config, overrides=_overrides(args))
    except ConfigError as exc:
        for problem in exc.problems:
            log.error("reload refused: %s", problem)
        say(f"reload refused ({len(exc.problems)} problem(s)); the old configuration stays")
        return
    except Exception as exc:  # anything else reading the file: refused the same way
        log.exception("reload refused: unexpected error reading the configuration")
        say(f"reload refused ({type(exc).__name__}); the old configuration stays")
        return
    try:
        report = (
            agent.services.prompts.reload(settings)
            if hasattr(agent.services.prompts, "reload")
            else None
        )
    except Exception:
        log.exception("prompt re-render failed; the old prompts stay")
        report = None
    try:
        agent.reload(settings)
    except Exception:  # a session that cannot take the new settings keeps its old ones
        log.exception("reload: a call could not take the new configuration")
    say(f"reloaded {settings.source}" + (f" ({report})" if report else ""))


def _write_timeline(settings: Settings, outcome: Any) -> None:
    """calls/<call id>.json: what happened on the call, for admins and `ivr demo`."""
    path = settings.data_dir / "calls" / f"{outcome.call_id}.json"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "call_id": outcome.call_id,
                    "answered_at": outcome.answered_at.isoformat() if outcome.answered_at
                    else None,
                    "sip_call_id": outcome.sip_call_id,
                    "worker_id": outcome.worker_id,
                    "end_reason": outcome.end_reason,
                    "duration_s": round(outcome.duration_s, 3),
                    "tickets": outcome.ticket_ids,
                    "transfer_target": outcome.transfer_target,
                    "prompts_played": outcome.prompts_played,
                    "timeline": [
                        {"t": round(t, 3), "kind": kind, "what": what}
                        for t, kind, what in outcome.timeline
                    ],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
    except OSError as exc:
        log.warning("call timeline not written: %s", exc)


class _Heartbeat:
    """Once a second, on its own thread (a reload or a drain on the main thread must not make
    a worker look dead): the recogniser backlog gauge and, for a supervised worker, the health
    file the supervisor's one /health reads."""

    def __init__(self, agent: Any, path: str | None) -> None:
        self.agent = agent
        self.path = Path(path) if path else None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        from ivr.ops.health import HEARTBEAT_INTERVAL_S

        while True:
            try:
                self.beat()
            except Exception:  # a background thread logs its exceptions and goes on
                log.exception("heartbeat failed")
            if self._done.wait(HEARTBEAT_INTERVAL_S):
                return

    def beat(self) -> None:
        from ivr.ops import metrics
        from ivr.ops.health import write_heartbeat

        pool = self.agent.services.recognizer_pool
        if pool is not None and hasattr(pool, "backlog_s"):
            metrics.RECOGNISER_BACKLOG.set(pool.backlog_s())
        if self.path is not None:
            status, body = self.agent.health()
            try:
                write_heartbeat(self.path, status, body)
            except OSError as exc:
                log.warning("heartbeat %s not written: %s", self.path, exc)


def _start_admin(agent: Any, bind: str, port: int) -> Any:
    """The admin port: the web console (ivr.console) with the agent's own GET /health and
    GET /metrics (ivr.ops)."""
    from ivr.console.app import build_console
    from ivr.console.server import BackgroundServer, agent_app
    from ivr.ops.metrics import render

    tickets = agent.services.tickets
    console = build_console(agent.settings, tickets=tickets) if tickets is not None else None
    # agent.health(): (200, body), or (503, body with "reason") when calls are refused.
    server = BackgroundServer(agent_app(console, agent.health,
                                        lambda: render(tickets)), bind, port).start()
    if console is not None:
        from ivr.console.webhooks import start_for

        server.on_stop.append(start_for(console).stop)
    server.console = console  # type: ignore[attr-defined]  # _reload hands it new settings
    return server


def run_reload(args: argparse.Namespace) -> int:
    settings = load_or_report(args)
    if settings is None:
        print("not reloading: fix the configuration first", file=sys.stderr)
        return 1
    port = args.sip_port or settings.sip.port
    path = pid_file(settings, port)
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except FileNotFoundError:
        print(f"no agent found on port {port} (no {path})", file=sys.stderr)
        return 1
    except (ValueError, ProcessLookupError):
        print(f"stale pid file {path}: the agent is not running", file=sys.stderr)
        return 1
    print(f"sent SIGHUP to agent pid {pid} on port {port}")
    return 0
