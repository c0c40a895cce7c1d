"""`ivr users`: the web console's sign-in accounts (argon2 hashes in the ticket database)."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime, timezone

from ivr.commands._common import load_or_report

ROLES = ("agent", "manager", "admin")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "users",
        help="console accounts: add, reset-password, deactivate, activate, list",
        description="Accounts of the web console (`ivr console`, `ivr serve --admin-port`). "
        "Roles: agent (ticket desk), manager (desk + monthly report), admin (everything). "
        "The password is read from a prompt, or from standard input with --password-stdin.",
    )
    sub = parser.add_subparsers(dest="users_command", metavar="ACTION")
    add = sub.add_parser("add", help="add a user, or reset an existing user's role/password")
    add.add_argument("name", help="user name (letters, digits, '.', '_')")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument(
        "--department",
        default=None,
        help="the transfer queue / department whose tickets and screen pops the user gets",
    )
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.add_argument("--db", default=None, help="ticket database URL (default: from config)")
    add.set_defaults(func=run_add)
    for action, helptext in (
        ("deactivate", "deactivate a user: no sign-in, their open sessions end now"),
        ("activate", "reactivate a deactivated user"),
    ):
        one = sub.add_parser(action, help=helptext)
        one.add_argument("name", help="user name")
        one.add_argument("--db", default=None, help="ticket database URL (default: from config)")
        one.set_defaults(func=run_set_active, active=action == "activate")
    reset = sub.add_parser(
        "reset-password", help="set a new password for a user (their open sessions end)"
    )
    reset.add_argument("name", help="user name")
    reset.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    reset.add_argument("--db", default=None, help="ticket database URL (default: from config)")
    reset.set_defaults(func=run_reset_password)
    lst = sub.add_parser("list", help="list users")
    lst.add_argument("--db", default=None, help="ticket database URL (default: from config)")
    lst.set_defaults(func=run_list)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    second = getpass.getpass("again: ")
    if first != second:
        print("the two passwords differ; nothing changed", file=sys.stderr)
        return None
    return first


def _new_password_hash(from_stdin: bool) -> str | None:
    """The argon2 hash of a password read from the prompt or stdin; None (said) when the two
    entries differ or the password is too weak."""
    from ivr.console.auth import WeakPassword, hash_password

    password = _read_password(from_stdin)
    if password is None:
        return None
    try:
        return hash_password(password)
    except WeakPassword as exc:
        print(f"{exc}; nothing changed", file=sys.stderr)
        return None


def _store(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    settings = load_or_report(args.config)
    if settings is None:
        return None
    from ivr.tickets import TicketService
    from ivr.tickets.console_store import ConsoleStore

    return ConsoleStore(TicketService.from_settings(settings, url=args.db))


def run_add(args: argparse.Namespace) -> int:
    from ivr.tickets import TicketError
    from ivr.tickets.console_store import validate_user

    try:
        validate_user(args.name, args.role)
    except TicketError as exc:
        print(exc, file=sys.stderr)
        return 2
    hashed = _new_password_hash(args.password_stdin)
    if hashed is None:
        return 1
    store = _store(args)
    if store is None:
        return 1
    try:
        user = store.add_user(
            args.name, args.role, hashed, datetime.now(timezone.utc), args.department
        )
    except TicketError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        store.service.shutdown()
    print(f"user {user.name}: role {user.role}" + (f", department {user.department}"
                                                    if user.department else ""))
    return 0


def run_set_active(args: argparse.Namespace) -> int:
    from ivr.tickets import TicketError

    store = _store(args)
    if store is None:
        return 1
    try:
        user = store.set_active(args.name, args.active, datetime.now(timezone.utc))
    except TicketError as exc:
        print(f"{exc}; nothing changed", file=sys.stderr)
        return 1
    finally:
        store.service.shutdown()
    print(f"user {user.name}: " + ("active" if user.active else "deactivated, sessions ended"))
    return 0


def run_reset_password(args: argparse.Namespace) -> int:
    from ivr.tickets import TicketError

    hashed = _new_password_hash(args.password_stdin)
    if hashed is None:
        return 1
    store = _store(args)
    if store is None:
        return 1
    try:
        user = store.reset_password(args.name, hashed, datetime.now(timezone.utc))
    except TicketError as exc:
        print(f"{exc}; nothing changed", file=sys.stderr)
        return 1
    finally:
        store.service.shutdown()
    print(f"user {user.name}: password reset, sessions ended")
    return 0


def run_list(args: argparse.Namespace) -> int:
    store = _store(args)
    if store is None:
        return 1
    try:
        for user in store.list_users():
            state = "" if user.active else "  (deactivated)"
            print(f"{user.name:<20} {user.role:<8} {user.department or '-'}{state}")
    finally:
        store.service.shutdown()
    return 0
