"""`ivr tickets`: work the complaint register (list, show, dispatch, resolve, close, reopen,
export, purge-recordings, replay)."""

from __future__ import annotations

import argparse
import csv
import getpass
import io
import json
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ivr.tickets.cli_support import (
    EXIT_OK,
    guarded,
    load,
    parse_since,
    require_key_for_reveal,
    service_for,
)
from ivr.tickets.types import CATEGORIES, STATUSES, TicketFilters, TicketView

EXPORT_FIELDS = (
    "id", "short_id", "call_id", "category", "severity", "status", "caller_number",
    "contact_number", "caller_title", "caller_surname", "department", "opened_at",
    "promised_reply_by", "replied_at", "resolved_at", "closed_at", "satisfaction", "summary",
    "transcript", "recording_path", "level_dbfs", "noise_dbfs", "snr_db", "notes",
)  # fmt: skip


MAX_LIMIT = 1_000_000  # a listing bigger than this is an export's job; and SQL takes it
MAX_RETENTION_DAYS = 3650  # as privacy.recording_retention_days


def int_in_range(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number in low..high, else argparse's one-line usage error
    (a 20-digit --limit once reached the database driver and ended in a traceback)."""

    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a whole number in {low}..{high}, got {text[:40]!r}"
            ) from None
        if not low <= value <= high:
            shown = text.strip() if len(text.strip()) <= 40 else text.strip()[:40] + "..."
            raise argparse.ArgumentTypeError(f"must be in {low}..{high}, got {shown}")
        return value

    parse.__name__ = f"whole number {low}..{high}"
    return parse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "tickets",
        help="list and work tickets (the complaint register)",
        description="The complaint register. Ticket ids are shown as their first 8 hex digits "
        "and any unique prefix of 4+ digits is accepted. Caller numbers are masked "
        "(138****5678) unless --reveal is given and the caller-number key is set.",
    )
    sub = parser.add_subparsers(dest="tickets_command", metavar="ACTION", required=True)

    def add_filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--status", choices=STATUSES, help="only tickets in this status")
        p.add_argument("--category", choices=CATEGORIES, help="only this category")
        p.add_argument(
            "--overdue", action="store_true", help="only open tickets past their promised time"
        )
        p.add_argument(
            "--since",
            type=parse_since,
            metavar="DATE",
            help="only tickets opened at or after DATE (YYYY-MM-DD or ISO datetime)",
        )
        p.add_argument(
            "--limit",
            type=int_in_range(1, MAX_LIMIT),
            metavar="N",
            help=f"at most N tickets (1..{MAX_LIMIT})",
        )
        p.add_argument(
            "--reveal",
            action="store_true",
            help="show full caller numbers (needs the key in $IVR_NUMBER_KEY)",
        )

    p = sub.add_parser(
        "list",
        help="list tickets, oldest first",
        description="One line per ticket: id, status, category, opened, promised reply time "
        "(! = overdue), masked caller, department, summary.",
    )
    add_filters(p)
    p.add_argument("--json", action="store_true", help="the tickets as a JSON array")
    p.set_defaults(func=run_list)

    p = sub.add_parser("show", help="one ticket with its audit trail")
    p.add_argument("id", help="ticket id or prefix (4+ hex digits)")
    p.add_argument("--reveal", action="store_true", help="show the full caller number")
    p.add_argument("--json", action="store_true", help="the ticket and its trail as JSON")
    p.set_defaults(func=run_show)

    p = sub.add_parser("dispatch", help="hand a ticket to a department (new/dispatched)")
    p.add_argument("id", help="ticket id or prefix")
    p.add_argument("--dept", required=True, help="department that will handle it")
    p.add_argument("--note", default="", help="note for the audit trail")
    p.add_argument("--by", default=None, help="who does it (default: your login name)")
    p.set_defaults(func=run_change, action="dispatch")

    p = sub.add_parser("resolve", help="record the reply / solution (new/dispatched -> resolved)")
    p.add_argument("id", help="ticket id or prefix")
    p.add_argument("--note", required=True, help="what was done or answered")
    p.add_argument("--by", default=None, help="who does it (default: your login name)")
    p.set_defaults(func=run_change, action="resolve")

    p = sub.add_parser("close", help="close a resolved ticket")
    p.add_argument("id", help="ticket id or prefix")
    p.add_argument("--note", default="", help="note for the audit trail")
    p.add_argument("--by", default=None, help="who does it (default: your login name)")
    p.set_defaults(func=run_change, action="close")

    p = sub.add_parser("reopen", help="reopen a resolved or closed ticket")
    p.add_argument("id", help="ticket id or prefix")
    p.add_argument("--note", default="", help="why it is reopened")
    p.add_argument("--by", default=None, help="who does it (default: your login name)")
    p.set_defaults(func=run_change, action="reopen")

    p = sub.add_parser(
        "export",
        help="export tickets as CSV or JSON",
        description="All fields of the selected tickets (JSON includes the audit trail).",
    )
    add_filters(p)
    p.add_argument("--json", action="store_true", help="JSON (with the audit trail), not CSV")
    # The old spelling, kept working: --format json == --json.
    p.add_argument("--format", choices=("csv", "json"), default="csv", help=argparse.SUPPRESS)
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(func=run_export)

    p = sub.add_parser(
        "purge-recordings",
        help="delete recordings older than the retention",
        description="Delete the recording files of tickets opened more than N days ago "
        "(privacy.recording_retention_days unless --days). The running agent's journal "
        "replayer also does this once an hour.",
    )
    p.add_argument(
        "--days",
        type=int_in_range(1, MAX_RETENTION_DAYS),
        metavar="N",
        help=f"retention in days (1..{MAX_RETENTION_DAYS})",
    )
    p.add_argument("--dry-run", action="store_true", help="only list what would be deleted")
    p.set_defaults(func=run_purge)

    p = sub.add_parser(
        "replay",
        help="apply journaled tickets to the database now",
        description="Tickets taken while the database was down wait in the journal in the "
        "data directory; this applies them (never twice).",
    )
    p.set_defaults(func=run_replay)


def _local(value: datetime | None, tz: Any) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else "-"


def _clip(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _filters(args: argparse.Namespace, now: datetime) -> TicketFilters:
    return TicketFilters(
        status=args.status,
        category=args.category,
        since=args.since,
        overdue_at=now if args.overdue else None,
        limit=args.limit,
    )


@guarded
def run_list(args: argparse.Namespace) -> int:
    settings = load(args)
    now = datetime.now(timezone.utc)
    with service_for(settings, read_only=True) as svc:
        require_key_for_reveal(args, svc)
        tickets = svc.list_tickets(_filters(args, now), reveal=args.reveal)
        tz = svc.calendar.tz
    if args.json:
        print(json.dumps([t.as_dict() for t in tickets], ensure_ascii=False, indent=2))
        return EXIT_OK
    print(
        f"{'ID':<9}{'STATUS':<11}{'CATEGORY':<16}{'OPENED':<17}{'PROMISED':<18}"
        f"{'CALLER':<15}{'DEPT':<12}SUMMARY"
    )
    for t in tickets:
        mark = "!" if t.overdue(now) else " "
        print(
            f"{t.short_id:<9}{t.status:<11}{t.category:<16}{_local(t.opened_at, tz):<17}"
            f"{_local(t.promised_reply_by, tz) + mark:<18}{(t.caller_number or '-'):<15}"
            f"{_clip(t.department or '-', 11):<12}{_clip(t.summary, 40)}"
        )
    print(f"{len(tickets)} ticket(s)")
    return EXIT_OK


def _print_ticket(t: TicketView, tz: Any, now: datetime) -> None:
    who = " ".join(x for x in (t.caller_surname, t.caller_title) if x) or "-"
    overdue = "  OVERDUE" if t.overdue(now) else ""
    rows = [
        ("ticket", f"{t.short_id}  ({t.id})"),
        ("call", t.call_id),
        ("category", f"{t.category} (severity {t.severity})"),
        ("status", t.status + (f" -> {t.department}" if t.department else "")),
        ("caller", f"{who}  {t.caller_number or '-'}"),
        ("call back on", t.contact_number or "-"),
        ("opened", _local(t.opened_at, tz)),
        ("promised reply", _local(t.promised_reply_by, tz) + overdue),
        ("replied", _local(t.replied_at, tz)),
        ("satisfaction", "-" if t.satisfaction is None else f"{t.satisfaction}/5"),
        ("line", _line(t)),
        ("recording", t.recording_path or "-"),
        ("summary", t.summary or "-"),
        ("transcript", t.transcript or "-"),
        ("notes", t.notes or "-"),
    ]
    for key, value in rows:
        print(f"{key + ':':<16}{value}")
    print("history:")
    for e in t.events:
        frm = e.from_status or "-"
        note = f"  {e.note}" if e.note else ""
        print(f"  {_local(e.at, tz)}  {e.actor:<10} {e.action:<22} {frm} -> {e.to_status}{note}")


def _line(t: TicketView) -> str:
    if t.level_dbfs is None and t.noise_dbfs is None and t.snr_db is None:
        return "-"

    def f(v: float | None, unit: str) -> str:
        return "?" if v is None else f"{v:.1f} {unit}"

    level, noise = f(t.level_dbfs, "dBFS"), f(t.noise_dbfs, "dBFS")
    return f"level {level}, noise {noise}, SNR {f(t.snr_db, 'dB')}"


@guarded
def run_show(args: argparse.Namespace) -> int:
    settings = load(args)
    with service_for(settings, read_only=True) as svc:
        require_key_for_reveal(args, svc)
        ticket = svc.get(args.id, reveal=args.reveal)
        if args.json:
            print(json.dumps(ticket.as_dict(), ensure_ascii=False, indent=2))
        else:
            _print_ticket(ticket, svc.calendar.tz, datetime.now(timezone.utc))
    return EXIT_OK


@guarded
def run_change(args: argparse.Namespace) -> int:
    settings = load(args)
    actor = (args.by or _login())[:64]
    with service_for(settings) as svc:
        if args.action == "dispatch":
            view = svc.dispatch(args.id, args.dept, actor=actor, note=args.note)
        elif args.action == "resolve":
            view = svc.resolve(args.id, note=args.note, actor=actor)
        elif args.action == "close":
            view = svc.close(args.id, actor=actor, note=args.note)
        else:
            view = svc.reopen(args.id, note=args.note, actor=actor)
    last = view.events[-1]
    print(f"ticket {view.short_id}: {last.from_status} -> {last.to_status}")
    return EXIT_OK


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "agent"


@guarded
def run_export(args: argparse.Namespace) -> int:
    settings = load(args)
    now = datetime.now(timezone.utc)
    if args.json:
        args.format = "json"
    with service_for(settings, read_only=True) as svc:
        require_key_for_reveal(args, svc)
        tickets = svc.list_tickets(
            _filters(args, now), reveal=args.reveal, with_events=args.format == "json"
        )
    if args.format == "json":
        text = json.dumps([t.as_dict() for t in tickets], ensure_ascii=False, indent=2) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=EXPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        for t in tickets:
            d = t.as_dict()
            writer.writerow({k: d.get(k) for k in EXPORT_FIELDS})
        text = buf.getvalue()
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"{len(tickets)} ticket(s) written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


@guarded
def run_purge(args: argparse.Namespace) -> int:
    settings = load(args)
    with service_for(settings) as svc:
        done = svc.purge_recordings(retention_days=args.days, dry_run=args.dry_run)
        days = args.days or svc.recording_retention_days
    verb = "would delete" if args.dry_run else "deleted"
    for path in done:
        print(path)
    print(f"{verb} {len(done)} recording(s) older than {days} days")
    return EXIT_OK


@guarded
def run_replay(args: argparse.Namespace) -> int:
    settings = load(args)
    with service_for(settings) as svc:
        stats = svc.replay_journal_stats()
    print(
        f"journal: {stats.applied} applied, {stats.kept} still waiting, {stats.torn} torn line(s)"
    )
    return EXIT_OK if not stats.kept else 1
