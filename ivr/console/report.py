"""The manager's monthly report page: ivr.tickets.reports with Chinese labels, SVG charts,
CSV export and a print stylesheet. Default month: the last complete one (business timezone)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.console import charts, i18n
from ivr.console.app import console_of, page
from ivr.tickets.reports import MonthlyReport, render_csv

REPORT_ROLES = ("manager", "admin")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def routes() -> list[Route]:
    return [Route("/report", report_page), Route("/report.csv", report_csv)]


def last_complete_month(now_local: datetime) -> tuple[int, int]:
    if now_local.month == 1:
        return now_local.year - 1, 12
    return now_local.year, now_local.month - 1


def chosen_month(request: Request) -> tuple[int, int]:
    console = console_of(request)
    match = _MONTH.match(request.query_params.get("month", ""))
    if match and 1 <= int(match.group(2)) <= 12:
        return int(match.group(1)), int(match.group(2))
    return last_complete_month(console.clock().astimezone(console.tz))


def figures(report: MonthlyReport) -> dict[str, Any]:
    """The headline numbers (reports.ABANDONED_DEFINITION: abandoned calls are neither
    transferred nor contained)."""
    total = report.calls_total
    transferred = report.calls_transferred
    abandoned = report.calls_abandoned
    contained = report.calls_contained

    def pct(n: int) -> float | None:
        return 100.0 * n / total if total else None

    return {
        "calls_total": total,
        "transferred": transferred,
        "transferred_pct": pct(transferred),
        "contained": contained,
        "contained_pct": pct(contained),
        "abandoned": abandoned,
        "abandoned_pct": pct(abandoned),
    }


@page(REPORT_ROLES)
def report_page(request: Request) -> Response:
    console = console_of(request)
    t = i18n.translator(console.locale(request))
    year, month = chosen_month(request)
    report = console.tickets.monthly_report(year, month, now=console.clock())
    reasons = [(t(f"end.{k}"), v) for k, v in report.calls_by_end_reason.items()]
    cats = [(t(f"cat.{k}"), v) for k, v in report.by_category.items()]
    statuses = [(t(f"st.{k}"), v) for k, v in report.by_status.items()]
    details = console.tickets.month_details(year, month, now=console.clock())
    weeks = [
        (f"{week} ({v['met']}/{v['met'] + v['missed']})",
         round(100 * v["met"] / (v["met"] + v["missed"])) if v["met"] + v["missed"] else 0)
        for week, v in details["sla_by_week"].items()
    ]
    return console.render(
        request,
        "report.html",
        {
            "r": report,
            "f": figures(report),
            "month": f"{year:04d}-{month:02d}",
            "chart_reasons": Markup(charts.hbar(reasons, title=t("calls_by_end_reason"))),
            "chart_categories": Markup(charts.hbar(cats, title=t("tickets_by_category"))),
            "chart_statuses": Markup(charts.hbar(statuses, title=t("tickets_by_status"))),
            "chart_weeks": Markup(charts.hbar(weeks, title=t("sla_by_week"), unit="%")),
            "aht_s": details["aht_s"],
        },
    )


@page(REPORT_ROLES)
def report_csv(request: Request) -> Response:
    console = console_of(request)
    year, month = chosen_month(request)
    report = console.tickets.monthly_report(year, month, now=console.clock())
    # BOM: spreadsheet programs then read the file as UTF-8 (Chinese in later columns).
    return Response(
        "\ufeff" + render_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="report-{year:04d}-{month:02d}.csv"'
        },
    )
