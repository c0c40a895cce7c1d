"""The `ivr` command: one entry point, subcommands discovered from `ivr.commands`.

Each module in `ivr/commands/` defines `register(subparsers)`; adding a command never means
editing this file, so parallel work on different commands does not collide.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
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


# Commands that read neither the settings nor the database (a softphone and the agent desk).
NO_SETTINGS_COMMANDS = frozenset({"call", "desk"})
# Global options: accepted before the subcommand (`ivr --config X tickets list`) and after it
# (`ivr tickets list --config X`). After the subcommand they are parsed into "sub_" names and
# merged in main(), so a value given in both places is not lost (-v counts add up, --set adds).
CONFIG_HELP = "configuration file (default: $IVR_CONFIG, else config/ivr.toml)"
VERBOSE_HELP = "more log output (-vv for debug)"
SET_HELP = "override one setting, e.g. --set line.low_volume_below_dbfs=-45 (repeatable)"
DB_HELP = "ticket database URL (default: $IVR_DATABASE_URL, else database.url)"


def _add_global_options(parser: argparse.ArgumentParser, *, top: bool, settings: bool) -> None:
    prefix = "" if top else "sub_"
    has = parser._option_string_actions
    group = parser if top else parser.add_argument_group("global options")
    if "--config" not in has:
        group.add_argument(
            "--config", dest=prefix + "config", metavar="PATH", default=None, help=CONFIG_HELP
        )
    if "-v" not in has:
        group.add_argument(
            "-v",
            "--verbose",
            dest=prefix + "verbose",
            action="count",
            default=0,
            help=VERBOSE_HELP,
        )
    if settings and "--set" not in has:
        group.add_argument(
            "--set",
            dest=prefix + "set",
            action="append",
            default=[],
            metavar="SECTION.KEY=VALUE",
            help=SET_HELP,
        )
    if settings and "--db" not in has:
        group.add_argument("--db", dest=prefix + "db", metavar="URL", default=None, help=DB_HELP)


def _subparsers_of(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found += list(action.choices.items())
    return found


def _add_global_options_below(parser: argparse.ArgumentParser, settings: bool) -> None:
    for _name, sub in _subparsers_of(parser):
        _add_global_options(sub, top=False, settings=settings)
        _add_global_options_below(sub, settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ivr",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ivr {__version__}")
    _add_global_options(parser, top=True, settings=True)
    parser.add_argument(
        "--log-format", choices=("text", "json"), default="text",
        help="log lines as text (default) or one JSON object per line (before the command)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    for name, sub in _subparsers_of(parser):
        settings = name not in NO_SETTINGS_COMMANDS
        _add_global_options(sub, top=False, settings=settings)
        _add_global_options_below(sub, settings)
    return parser


def merge_global_options(args: argparse.Namespace) -> argparse.Namespace:
    """Fold the options given after the subcommand into the global ones."""
    sub_config = getattr(args, "sub_config", None)
    if sub_config:
        args.config = sub_config
    args.verbose = int(args.verbose or 0) + int(getattr(args, "sub_verbose", 0) or 0)
    args.set = list(args.set or []) + list(getattr(args, "sub_set", None) or [])
    sub_db = getattr(args, "sub_db", None)
    if sub_db:
        args.db = sub_db
    for name in ("sub_config", "sub_verbose", "sub_set", "sub_db"):
        if hasattr(args, name):
            delattr(args, name)
    return args


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
    args = merge_global_options(parser.parse_args(argv))
    configure_logging(args.verbose, getattr(args, "log_format", "text"))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _closed_pipe()


# `ivr tickets list | head -1`: the reader left; stop quietly, as a shell tool does (128 + 13).
EXIT_CLOSED_PIPE = 141


def _closed_pipe() -> int:
    """Stdout's reader is gone: point stdout at /dev/null so the interpreter's final flush
    cannot raise again, and exit without a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_CLOSED_PIPE


if __name__ == "__main__":
    sys.exit(main())
