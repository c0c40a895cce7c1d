"""`python -m ivr.scale`: the supervisor with any worker command (tests, bench, other agents).

`ivr serve --workers N` is the normal way in; this entry point runs the same supervisor with a
worker command template, so the front and the supervision can be exercised without the agent:

    python -m ivr.scale --workers 3 --front kamailio --sip-port 5060 --base-worker-port 5071 \
        --worker-cmd 'ivr serve --sip-port {port} --bind {bind} --worker-id {id}'
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from ivr.config import ConfigError, load_settings, parse_assignments
from ivr.scale.backoff import Backoff
from ivr.scale.supervisor import FRONTS, ScaleError, run_supervisor, worker_port


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ivr.scale",
        description="Run N worker agents (and a Kamailio front) under the supervisor until "
        "SIGTERM/SIGINT. SIGHUP is forwarded to the workers.",
    )
    parser.add_argument("--config", metavar="PATH", default=None,
                        help="configuration file (default: $IVR_CONFIG, else config/ivr.toml)")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override one setting, e.g. --set sip.trusted_sources="
                        "'[\"198.51.100.7\"]'")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--front", choices=FRONTS, default=None,
                        help="public SIP front (default scale.front)")
    parser.add_argument("--sip-port", type=int, default=None,
                        help="public SIP port of the front (default sip.port)")
    parser.add_argument("--bind", default=None,
                        help="public address of the front (default sip.bind_address)")
    parser.add_argument("--worker-bind", default="127.0.0.1",
                        help="address the workers listen on (default 127.0.0.1)")
    parser.add_argument("--base-worker-port", type=int, default=None,
                        help="port of worker 1; worker k uses base+k-1 (default: sip port + "
                        "scale.worker_port_offset_count + 1)")
    parser.add_argument("--worker-cmd", required=True,
                        help="worker command line with {port}, {bind} and {id} placeholders")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where the front's files go (default: the configured data dir)")
    parser.add_argument("--drain-timeout-s", type=float, default=None,
                        help="how long workers may drain on SIGTERM (default sip.drain_timeout_s)")
    parser.add_argument("--probe-interval-s", type=int, default=None,
                        help="OPTIONS probing interval of the front (default "
                        "scale.probe_interval_s)")
    parser.add_argument("--restart-initial-s", type=float, default=None,
                        help="first restart delay of a crashed worker (default "
                        "scale.restart_initial_s)")
    parser.add_argument("--restart-max-s", type=float, default=None,
                        help="longest restart delay (default scale.restart_max_s)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output (-v shows every routed call)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.WARNING if args.verbose <= 0 else logging.INFO if args.verbose == 1 \
        else logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(args.config, overrides=parse_assignments(args.set))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    scale = settings.scale
    sip_port = args.sip_port or settings.sip.port
    base = args.base_worker_port or sip_port + scale.worker_port_offset_count + 1
    template = shlex.split(args.worker_cmd)
    bind = args.worker_bind

    def worker_argv(k: int) -> list[str]:
        port = worker_port(base, k)
        return [part.format(port=port, bind=bind, id=k) for part in template]

    try:
        backoff = Backoff(
            initial_s=scale.restart_initial_s if args.restart_initial_s is None
            else args.restart_initial_s,
            max_s=scale.restart_max_s if args.restart_max_s is None else args.restart_max_s,
        )
        overrides = {} if args.probe_interval_s is None else {
            "probe_interval_s": args.probe_interval_s}
        return run_supervisor(
            settings, args.workers, args.front or scale.front, sip_port, base, worker_argv,
            data_dir=args.data_dir, worker_address=bind, front_address=args.bind,
            drain_timeout_s=args.drain_timeout_s, backoff=backoff, front_overrides=overrides,
        )
    except (ScaleError, ValueError, KeyError, IndexError) as exc:
        print(f"python -m ivr.scale: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
