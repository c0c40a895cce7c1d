"""The `ivr` command: one entry point, subcommands discovered from `ivr.commands`.

Each module in `ivr/commands/` defines `register(subparsers)`; adding a command never means
editing this file, so parallel work on different commands does not collide.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from ivr import __version__, commands

DESCRIPTION = """\
Hotline IVR agent. Answers SIP calls, listens to every 20 ms frame, applies the hotline's
service standard (silent / quiet / noisy / unintelligible lines, complaints, transfers) and
registers tickets. Every timer, threshold and phrase lives in config/ivr.toml and prompts/.
"""

EPILOG = """\
examples:
  ivr demo                       scripted calls against a loopback agent (SQLite)
  ivr serve                      answer calls on the configured SIP address
  ivr config check config/ivr.toml
  ivr analyze caller.wav --json  line verdict of a recording
  ivr tickets list --overdue
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ivr",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ivr {__version__}")
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None,
        help="configuration file (default: $IVR_CONFIG, else config/ivr.toml)",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    parser.add_argument(
        "--log-format", choices=("text", "json"), default="text",
        help="log lines as text (default) or one JSON object per line",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def configure_logging(verbosity: int, log_format: str = "text") -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if log_format == "json":
        from ivr.ops.jsonlog import JsonFormatter

        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose, getattr(args, "log_format", "text"))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
