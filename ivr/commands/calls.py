"""`ivr calls list/show`: the call register (one row per answered call), for operators joining
our records with the PBX's CDRs and SIP traces: absolute start time (UTC), SIP Call-ID and the
worker that took the call. Caller numbers are shown masked; filter by number without showing it
(--caller hashes it the way the register does) or by the stored hash."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta
from typing import Any

from ivr.tickets.cli_support import guarded, load, parse_since, service_for
from ivr.vocabulary import END_REASONS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("calls", help="list and show call records (CDRs)",
                                   description=__doc__)
    sub = parser.add_subparsers(dest="calls_command", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="calls, newest first")
    p.add_argument("--since", type=parse_since, metavar="DATE",
                   help="answered at or after DATE (YYYY-MM-DD or ISO datetime, UTC if naive)")
    p.add_argument("--until", type=parse_since, metavar="DATE",
                   help="answered before DATE (a bare date means that day's start)")
    p.add_argument("--date", type=parse_since, metavar="YYYY-MM-DD",
                   help="answered on this (UTC) day")
    p.add_argument("--end-reason", choices=END_REASONS, help="only calls that ended this way")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--caller", metavar="NUMBER", help="only this caller (matched by hash)")
    who.add_argument("--caller-hash", metavar="HEX", help="only this stored caller hash")
    p.add_argument("--limit", type=_positive, default=100, metavar="N",
                   help="at most N calls (default 100)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=run_list)
    s = sub.add_parser("show", help="one call: its record and its timeline")
    s.add_argument("call_id", help="our call id (4+ leading characters) or the SIP Call-ID")
    s.add_argument("--json", action="store_true", help="as one JSON object")
    s.set_defaults(func=run_show)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"{text!r}: allowed 1..100000")
    return value


def _record(call: Any) -> dict[str, Any]:
    return {
        "call_id": call.call_id,
        "answered_at": call.answered_at.isoformat(),
        "ended_at": call.ended_at.isoformat(),
        "duration_s": round(call.duration_s, 1),
        "end_reason": call.end_reason,
        "caller": call.caller_masked,
        "caller_hash": call.caller_hash,
        "sip_call_id": call.sip_call_id,
        "worker_id": call.worker_id,
        "transfer_target": call.transfer_target,
        "tickets": list(call.ticket_ids),
        "prompts_played": list(call.prompts_played),
        "silent_s": call.silent_s, "low_volume_s": call.low_volume_s, "noisy_s": call.noisy_s,
    }


@guarded
def run_list(args: argparse.Namespace) -> int:
    from ivr.tickets.types import CallFilters

    settings = load(args)
    service = service_for(settings, read_only=True)
    try:
        since, until = args.since, args.until
        if args.date is not None:
            since, until = args.date, args.date + timedelta(days=1)
        caller_hash = service.caller_hash(args.caller) if args.caller else args.caller_hash
        calls = service.list_calls(CallFilters(since=since, until=until,
                                               end_reason=args.end_reason,
                                               caller_hash=caller_hash, limit=args.limit))
    finally:
        service.shutdown()
    for call in calls:
        if args.json:
            print(json.dumps(_record(call), ensure_ascii=False))
        else:
            worker = f"w{call.worker_id}" if call.worker_id else "-"
            caller = call.caller_masked or "-"
            print(f"{call.call_id[:8]}  {call.answered_at:%Y-%m-%d %H:%M:%S}Z "
                  f"{call.duration_s:6.1f} s  {call.end_reason:<14} {caller:<13} "
                  f"{worker:<4} {call.sip_call_id or '-'}")
    if not args.json:
        print(f"{len(calls)} call(s)")
    return 0


@guarded
def run_show(args: argparse.Namespace) -> int:
    settings = load(args)
    service = service_for(settings, read_only=True)
    try:
        call = service.find_call(args.call_id)
    finally:
        service.shutdown()
    record = _record(call)
    timeline_path = settings.data_dir / "calls" / f"{call.call_id}.json"
    timeline = None
    if timeline_path.is_file():
        timeline = json.loads(timeline_path.read_text()).get("timeline")
    if args.json:
        print(json.dumps({**record, "timeline": timeline}, ensure_ascii=False))
        return 0
    for key, value in record.items():
        print(f"{key:16} {value if value not in (None, []) else '-'}")
    if timeline is not None:
        print(f"timeline ({timeline_path}):")
        for step in timeline:
            print(f"  {step['t']:8.2f} {step['kind']:<7} {step['what']}")
    return 0
