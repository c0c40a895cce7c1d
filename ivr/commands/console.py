"""`ivr console`: run the web console alone against a ticket database."""

from __future__ import annotations

import argparse
import sys

from ivr.commands._common import load_or_report

DEFAULT_PORT = 8080


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "console",
        help="web console (agent desk, report, admin bench) on http://127.0.0.1:PORT",
        description="Serve the web console: agents work tickets and get screen pops, managers "
        "read the monthly report, admins hear prompts and read the audit log. Listens on "
        "127.0.0.1 unless --bind says otherwise (put TLS in front for other hosts). Create the "
        "first account with `ivr users add NAME --role admin`.",
    )
    parser.add_argument("--db", default=None, help="ticket database URL (default: from config)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="HTTP port (default 8080)")
    parser.add_argument("--bind", default="127.0.0.1", help="address (default 127.0.0.1)")
    parser.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark cookies Secure (when a TLS proxy serves the console over https)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_or_report(args.config)
    if settings is None:
        return 1
    import uvicorn

    from ivr.console.app import build_console, create_app

    console = build_console(settings, args.db, secure_cookies=args.secure_cookies)
    users = console.store.count_users()
    print(
        f"console on http://{args.bind}:{args.port}/ ({users} user(s)"
        + ("; create one: ivr users add NAME --role admin" if not users else "")
        + ")",
        flush=True,
    )
    if not users:
        print("no console users yet", file=sys.stderr)
    from ivr.console.webhooks import start_for

    webhooks = start_for(console)
    try:
        uvicorn.run(
            create_app(console),
            host=args.bind,
            port=args.port,
            log_level="warning",
            access_log=False,
        )
    finally:
        webhooks.stop()
        console.tickets.shutdown()
    return 0
