"""`ivr report --month YYYY-MM`: the monthly report (月报) as a table, CSV and PNG chart."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ivr.tickets.cli_support import EXIT_OK, guarded, load, parse_month, service_for
from ivr.tickets.reports import render_csv, render_json, render_png, render_text


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="monthly report: tickets by category/status, SLA, calls by end reason",
        description="Counts of the month's tickets by category and status, SLA met % (replied "
        "by the promised time), first-contact resolution % (service tickets resolved without "
        "being dispatched), calls by end reason and average satisfaction. Months are calendar "
        "months in business.timezone.",
    )
    parser.add_argument(
        "--month", required=True, type=parse_month, metavar="YYYY-MM", help="e.g. 2026-11"
    )
    parser.add_argument("--json", action="store_true", help="the figures as one JSON object")
    parser.add_argument("--csv", metavar="FILE", help="also write the figures as CSV")
    parser.add_argument("--png", metavar="FILE", help="also draw a bar chart (needs matplotlib)")
    parser.set_defaults(func=run)


@guarded
def run(args: argparse.Namespace) -> int:
    settings = load(args)
    year, month = args.month
    with service_for(settings, read_only=True) as svc:
        report = svc.monthly_report(year, month)
    if args.json:
        sys.stdout.write(json.dumps(render_json(report), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_text(report))
    if args.csv:
        Path(args.csv).write_text(render_csv(report), encoding="utf-8")
        print(f"CSV written to {args.csv}")
    if args.png:
        try:
            render_png(report, Path(args.png))
        except ImportError:
            print("ivr report: --png needs matplotlib (pip install matplotlib)", file=sys.stderr)
            return 1
        print(f"chart written to {args.png}")
    return EXIT_OK
