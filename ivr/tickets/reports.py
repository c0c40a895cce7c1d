"""The monthly report (月报): pure computation from plain rows, plus text/CSV/PNG renderings.

Definitions (documented in the report's footer too):
- SLA met %: of the month's tickets with a promise whose outcome is known, the share replied
  (first resolved) by the promised time. Unresolved tickets count as missed once overdue at
  report time, and are left out while their promise is still ahead.
- First-contact resolution %: of the month's service tickets (complaint, inquiry, suggestion,
  callback), the share resolved without ever being dispatched to a department.
- Tickets by status: the status each ticket of the month had at the month's last instant (from
  its event trail), not today's: a ticket resolved after the month's end counts as open.
- Abandoned, transferred, contained: see ABANDONED_DEFINITION and call_outcome().
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from .types import CATEGORIES, END_REASONS, SEVERITIES, STATUSES

SERVICE_CATEGORIES = ("complaint", "inquiry", "suggestion", "callback")

# The prompts that mean the bot had finished its work: the caller heard "anything else?" or the
# goodbye. A caller who hangs up after them was served (contained), not abandoned.
CLOSING_PROMPTS = frozenset({"closing_anything_else", "closing_goodbye"})

CallOutcomeKind = Literal["transferred", "abandoned", "contained"]

ABANDONED_DEFINITION = (
    "Abandoned: the caller hung up before being served - during the greeting, the queue wait "
    "or the transfer ring, before a ticket was opened or a transfer was answered (end reason "
    "caller_hangup, and either a transfer was ringing, or no ticket was opened and the closing "
    "prompts had not been played). A caller who hangs up after the bot finished (closing "
    "prompt played, or ticket opened - including a complaint the caller described and the bot "
    "filed unconfirmed at the hang-up) is contained. Transferred: the transfer was answered "
    "(end reason transferred). Contained: every other call, handled without a person."
)


@dataclass(frozen=True)
class CallFacts:
    """What the report needs from one call record (CDR)."""

    end_reason: str
    has_ticket: bool = False
    transfer_attempted: bool = False
    bot_finished: bool = False


def call_outcome(call: CallFacts) -> CallOutcomeKind:
    """Classify one call the way a contact centre counts it (ABANDONED_DEFINITION)."""
    if call.end_reason == "transferred":
        return "transferred"
    if call.end_reason == "caller_hangup" and (
        call.transfer_attempted or not (call.has_ticket or call.bot_finished)
    ):
        return "abandoned"
    return "contained"


def status_as_of(trail: list[tuple[datetime, int, str]], end: datetime, fallback: str) -> str:
    """The status a ticket had just before `end`: the last event (by time, then id) before it.
    `fallback` (the current status) is used only when the trail has no such event."""
    before = [(at, seq, status) for at, seq, status in trail if at < end]
    return max(before)[2] if before else fallback


@dataclass(frozen=True)
class TicketFacts:
    category: str
    status: str
    promised_reply_by: datetime | None
    replied_at: datetime | None
    dispatched_at: datetime | None
    satisfaction: int | None
    severity: str = "normal"


@dataclass(frozen=True)
class MonthlyReport:
    year: int
    month: int
    tickets_total: int
    by_category: dict[str, int]
    by_status: dict[str, int]
    by_category_status: dict[str, dict[str, int]]
    sla_met: int
    sla_missed: int
    sla_pending: int
    fcr_resolved: int
    fcr_base: int
    calls_total: int
    calls_by_end_reason: dict[str, int]
    satisfaction_count: int
    satisfaction_avg: float | None
    notes: list[str] = field(default_factory=list)
    by_severity: dict[str, int] = field(default_factory=dict)
    calls_transferred: int = 0
    calls_abandoned: int = 0
    calls_contained: int = 0

    @property
    def month_label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def sla_met_pct(self) -> float | None:
        base = self.sla_met + self.sla_missed
        return 100.0 * self.sla_met / base if base else None

    @property
    def fcr_pct(self) -> float | None:
        return 100.0 * self.fcr_resolved / self.fcr_base if self.fcr_base else None


def build_report(
    year: int,
    month: int,
    tickets: list[TicketFacts],
    calls: list[CallFacts],
    now: datetime,
) -> MonthlyReport:
    by_category: dict[str, int] = {c: 0 for c in CATEGORIES}
    by_status: dict[str, int] = {s: 0 for s in STATUSES}
    by_severity: dict[str, int] = {s: 0 for s in SEVERITIES}
    grid: dict[str, dict[str, int]] = {c: {s: 0 for s in STATUSES} for c in CATEGORIES}
    met = missed = pending = fcr_resolved = fcr_base = 0
    scores: list[int] = []
    for t in tickets:
        by_category[t.category] = by_category.get(t.category, 0) + 1
        by_status[t.status] = by_status.get(t.status, 0) + 1
        by_severity[t.severity] = by_severity.get(t.severity, 0) + 1
        grid.setdefault(t.category, {s: 0 for s in STATUSES})[t.status] += 1
        if t.promised_reply_by is not None:
            if t.replied_at is not None:
                if t.replied_at <= t.promised_reply_by:
                    met += 1
                else:
                    missed += 1
            elif t.promised_reply_by < now:
                missed += 1
            else:
                pending += 1
        if t.category in SERVICE_CATEGORIES:
            fcr_base += 1
            if t.replied_at is not None and t.dispatched_at is None:
                fcr_resolved += 1
        if t.satisfaction is not None:
            scores.append(t.satisfaction)
    reasons: dict[str, int] = {r: 0 for r in END_REASONS}
    outcomes: dict[CallOutcomeKind, int] = {"transferred": 0, "abandoned": 0, "contained": 0}
    for call in calls:
        reasons[call.end_reason] = reasons.get(call.end_reason, 0) + 1
        outcomes[call_outcome(call)] += 1
    return MonthlyReport(
        year=year,
        month=month,
        tickets_total=len(tickets),
        by_category=by_category,
        by_status=by_status,
        by_severity=by_severity,
        by_category_status=grid,
        sla_met=met,
        sla_missed=missed,
        sla_pending=pending,
        fcr_resolved=fcr_resolved,
        fcr_base=fcr_base,
        calls_total=len(calls),
        calls_by_end_reason=reasons,
        calls_transferred=outcomes["transferred"],
        calls_abandoned=outcomes["abandoned"],
        calls_contained=outcomes["contained"],
        satisfaction_count=len(scores),
        satisfaction_avg=(sum(scores) / len(scores)) if scores else None,
    )


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


def render_text(report: MonthlyReport) -> str:
    """A terminal table."""
    lines = [f"Monthly report {report.month_label}", ""]
    header = f"{'category':<16}" + "".join(f"{s:>11}" for s in STATUSES) + f"{'total':>8}"
    lines += [header, "-" * len(header)]
    for cat in CATEGORIES:
        row = report.by_category_status.get(cat, {})
        lines.append(
            f"{cat:<16}"
            + "".join(f"{row.get(s, 0):>11}" for s in STATUSES)
            + f"{report.by_category.get(cat, 0):>8}"
        )
    lines.append(
        f"{'all':<16}"
        + "".join(f"{report.by_status.get(s, 0):>11}" for s in STATUSES)
        + f"{report.tickets_total:>8}"
    )
    lines.append(
        "Tickets by severity:      "
        + ", ".join(f"{s} {report.by_severity.get(s, 0)}" for s in report.by_severity)
    )
    lines += [
        "",
        f"SLA met:                  {_pct(report.sla_met_pct)} "
        f"({report.sla_met} met, {report.sla_missed} missed, {report.sla_pending} not yet due)",
        f"First-contact resolution: {_pct(report.fcr_pct)} "
        f"({report.fcr_resolved} of {report.fcr_base} service tickets)",
        "Average satisfaction:     "
        + (
            f"{report.satisfaction_avg:.2f} / 5 ({report.satisfaction_count} answers)"
            if report.satisfaction_avg is not None
            else "n/a (no answers)"
        ),
        "",
        f"Calls by end reason ({report.calls_total} calls):",
    ]
    for reason, count in report.calls_by_end_reason.items():
        lines.append(f"  {reason:<16}{count:>8}")
    lines += [
        "",
        f"Transferred: {report.calls_transferred}, abandoned: {report.calls_abandoned}, "
        f"contained: {report.calls_contained}",
        ABANDONED_DEFINITION,
        "Tickets by status: as of the month's last instant.",
    ]
    return "\n".join(lines) + "\n"


def render_json(report: MonthlyReport) -> dict[str, Any]:
    """Every figure of the report, for `ivr report --json`."""
    out = asdict(report)
    out["month"] = report.month_label
    out["sla_met_pct"] = report.sla_met_pct
    out["fcr_pct"] = report.fcr_pct
    return out


def render_csv(report: MonthlyReport) -> str:
    """Long format: section, key, value (easy to pivot in a spreadsheet)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["month", "section", "key", "value"])
    m = report.month_label
    for cat, n in report.by_category.items():
        w.writerow([m, "tickets_by_category", cat, n])
    for status, n in report.by_status.items():
        w.writerow([m, "tickets_by_status", status, n])
    for severity, n in report.by_severity.items():
        w.writerow([m, "tickets_by_severity", severity, n])
    for cat, row in report.by_category_status.items():
        for status, n in row.items():
            w.writerow([m, "tickets_by_category_status", f"{cat}/{status}", n])
    w.writerow([m, "sla", "met", report.sla_met])
    w.writerow([m, "sla", "missed", report.sla_missed])
    w.writerow([m, "sla", "not_yet_due", report.sla_pending])
    w.writerow(
        [m, "sla", "met_pct", "" if report.sla_met_pct is None else f"{report.sla_met_pct:.1f}"]
    )
    w.writerow([m, "fcr", "resolved_first_contact", report.fcr_resolved])
    w.writerow([m, "fcr", "service_tickets", report.fcr_base])
    w.writerow([m, "fcr", "pct", "" if report.fcr_pct is None else f"{report.fcr_pct:.1f}"])
    for reason, n in report.calls_by_end_reason.items():
        w.writerow([m, "calls_by_end_reason", reason, n])
    w.writerow([m, "calls", "total", report.calls_total])
    w.writerow([m, "calls", "transferred", report.calls_transferred])
    w.writerow([m, "calls", "abandoned", report.calls_abandoned])
    w.writerow([m, "calls", "contained", report.calls_contained])
    w.writerow([m, "satisfaction", "answers", report.satisfaction_count])
    avg = report.satisfaction_avg
    w.writerow([m, "satisfaction", "average", "" if avg is None else f"{avg:.2f}"])
    w.writerow([m, "definition", "tickets_by_status", "status at the month's last instant"])
    w.writerow([m, "definition", "abandoned", ABANDONED_DEFINITION])
    return buf.getvalue()


def render_png(report: MonthlyReport, path: Path) -> None:
    """Two bar charts (tickets by category and status; calls by end reason). Needs matplotlib
    (Agg backend, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    cats = list(CATEGORIES)
    bottom = [0] * len(cats)
    for status in STATUSES:
        values = [report.by_category_status.get(c, {}).get(status, 0) for c in cats]
        ax1.bar(cats, values, bottom=bottom, label=status)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax1.set_title(
        f"Tickets {report.month_label} - SLA met {_pct(report.sla_met_pct)}, "
        f"FCR {_pct(report.fcr_pct)}"
    )
    ax1.legend()
    ax1.tick_params(axis="x", rotation=30)
    reasons = list(report.calls_by_end_reason)
    ax2.bar(reasons, [report.calls_by_end_reason[r] for r in reasons], color="tab:gray")
    ax2.set_title(f"Calls by end reason ({report.calls_total})")
    ax2.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)
