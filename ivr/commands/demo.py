"""`ivr demo`: scripted calls against a loopback agent (the README's first command)."""

from __future__ import annotations

import argparse

from ivr.commands._common import load_or_report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="scripted calls against a loopback agent (SQLite), with timelines and tickets",
        description="Start an agent and a stand-in agent desk on loopback, place five scripted "
        "calls with real audio (a silent line, a quiet caller, a noisy line, a complaint by the "
        "DTMF menu with spoken details, a caller asking for a person), then print what the agent "
        "did on each call and the tickets it opened. Uses the configured data directory, so "
        "`ivr tickets list` and `ivr report` show the demo's tickets afterwards.",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ivr.demo import run_demo

    settings = load_or_report(args)
    if settings is None:
        return 1
    return run_demo(
        settings, args.config, lambda line: print(line, flush=True), settings_args=args.set
    )
