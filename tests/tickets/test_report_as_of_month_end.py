"""The monthly report on a real database (SQLite and PostgreSQL): tickets by status as of the
month's last instant (from the event trail), and abandoned/transferred/contained calls from the
call records, as a contact centre counts them (reports.ABANDONED_DEFINITION)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from ivr.tickets.reports import render_csv, render_text
from ivr.tickets.types import CallRecordDraft, TicketDraft

# Shanghai: November 2026 ends at 2026-11-30 16:00 UTC.
MONTH_END = datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)


def ticket(svc, call_id: str, opened_at: datetime = T0, category: str = "complaint") -> str:
    receipt = svc.open_ticket(
        TicketDraft(call_id=call_id, category=category, opened_at=opened_at, summary="x")
    )
    return receipt.short_id


def test_status_is_the_one_the_ticket_had_at_the_months_end(db_url: str, make_service) -> None:
    svc = make_service(db_url)
    # Resolved one second after the month's end: open (new) in November's report.
    after = ticket(svc, "after")
    svc.resolve(after, note="done", now=MONTH_END + timedelta(seconds=1))
    # Dispatched in November, resolved in December: dispatched in November.
    disp = ticket(svc, "disp")
    svc.dispatch(disp, "billing", now=T0 + timedelta(hours=1))
    svc.resolve(disp, note="done", now=MONTH_END + timedelta(days=2))
    # Resolved in November, reopened in December: resolved in November.
    reopened = ticket(svc, "reopened")
    svc.resolve(reopened, note="done", now=T0 + timedelta(days=1))
    svc.reopen(reopened, note="caller called back", now=MONTH_END + timedelta(hours=3))
    # Resolved the month's last second and closed later: resolved.
    last = ticket(svc, "last", category="inquiry")
    svc.resolve(last, note="done", now=MONTH_END - timedelta(seconds=1))
    svc.close(last, now=MONTH_END + timedelta(minutes=1))
    # Closed in November: closed.
    closed = ticket(svc, "closed", category="suggestion")
    svc.resolve(closed, note="done", now=T0 + timedelta(hours=2))
    svc.close(closed, now=T0 + timedelta(hours=3))
    # Opened in December: not in November at all.
    ticket(svc, "december", opened_at=MONTH_END + timedelta(hours=1))

    now = MONTH_END + timedelta(days=5)
    assert svc.get(after).status == "resolved"  # today's status differs
    rep = svc.monthly_report(2026, 11, now=now)
    assert rep.tickets_total == 5
    assert rep.by_status == {"new": 1, "dispatched": 1, "resolved": 2, "closed": 1}
    assert rep.by_category_status["complaint"] == {
        "new": 1, "dispatched": 1, "resolved": 1, "closed": 0
    }
    assert rep.by_category_status["inquiry"]["resolved"] == 1
    # December sees only its own ticket, with today's status.
    assert svc.monthly_report(2026, 12, now=now).by_status["new"] == 1


def call(svc, call_id: str, reason: str, **kw: object) -> None:
    svc.record_call(
        CallRecordDraft(
            call_id=call_id,
            answered_at=T0,
            ended_at=T0 + timedelta(seconds=40),
            end_reason=reason,
            **kw,  # type: ignore[arg-type]
        )
    )


def test_abandoned_is_a_hang_up_before_being_served(db_url: str, make_service) -> None:
    svc = make_service(db_url)
    # Abandoned: hung up in the greeting; in the queue wait; while the transfer rang (even
    # with the ticket the transfer carried).
    call(svc, "greeting", "caller_hangup", prompts_played=("greeting",))
    call(svc, "queue", "caller_hangup", prompts_played=("greeting", "queue_wait_apology"))
    call(svc, "ring", "caller_hangup", prompts_played=("greeting", "menu"),
         transfer_target="sip:desk@127.0.0.1", ticket_ids=("A1B2C3",))
    # Contained: hung up after the bot finished (anything-else / goodbye played), or after a
    # ticket was opened; and every call the bot ended itself.
    call(svc, "after-bot", "caller_hangup",
         prompts_played=("greeting", "inquiry_answer", "closing_anything_else"))
    call(svc, "after-goodbye", "caller_hangup", prompts_played=("closing_goodbye",))
    call(svc, "with-ticket", "caller_hangup", ticket_ids=("D4E5F6",))
    call(svc, "normal", "normal", prompts_played=("closing_goodbye",))
    call(svc, "silent", "silent")
    # Transferred: the transfer was answered.
    call(svc, "answered", "transferred", transfer_target="sip:desk@127.0.0.1",
         ticket_ids=("G7H8I9",))

    rep = svc.monthly_report(2026, 11, now=MONTH_END)
    assert rep.calls_total == 9
    assert rep.calls_by_end_reason["caller_hangup"] == 6
    assert (rep.calls_abandoned, rep.calls_transferred, rep.calls_contained) == (3, 1, 5)

    rows = list(csv.reader(io.StringIO(render_csv(rep))))
    calls = {r[2]: r[3] for r in rows if r[1] == "calls"}
    assert calls == {"total": "9", "transferred": "1", "abandoned": "3", "contained": "5"}
    definition = next(r[3] for r in rows if r[1:3] == ["definition", "abandoned"])
    assert "before being served" in definition and "contained" in definition
    assert "abandoned: 3" in render_text(rep)
