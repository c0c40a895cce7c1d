"""`ivr config`: check and show the configuration an admin edits."""

from __future__ import annotations

import argparse
import json
import sys

from ivr.commands._common import load_or_report, overrides_from
from ivr.config import ConfigError, load_settings, resolve_config_path
from ivr.masking import mask_url


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "config",
        help="check or show the configuration",
        description="Validate config/ivr.toml and both prompt catalogues, or print the settings "
        "in effect (defaults filled in).",
    )
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = sub.add_parser(
        "check",
        help="validate a configuration file and the prompt catalogues",
        description="Print one line per problem (file: key = value: what is allowed) and exit 1, "
        "or print 'ok' and exit 0.",
    )
    check.add_argument("path", nargs="?", help="file to check (default: the --config file)")
    check.set_defaults(func=run_check)
    show = sub.add_parser("show", help="print the settings in effect as JSON")
    show.set_defaults(func=run_show)


def run_check(args: argparse.Namespace) -> int:
    path = resolve_config_path(args.path or args.config)
    try:
        settings = load_settings(path, overrides=overrides_from(args))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{path}: {len(exc.problems)} problem(s); nothing was loaded", file=sys.stderr)
        return 1
    counts = ", ".join(f"{loc} {len(p)} phrases" for loc, p in settings.prompts.items())
    print(f"{path}: ok ({counts})")
    return 0


def run_show(args: argparse.Namespace) -> int:
    settings = load_or_report(args)
    if settings is None:
        return 1
    shown = settings.model_dump(mode="json")
    # The database URL may carry a password: shown masked, as everywhere else.
    shown["database"]["url"] = mask_url(settings.database.url)
    print(json.dumps(shown, ensure_ascii=False, indent=2))
    return 0
