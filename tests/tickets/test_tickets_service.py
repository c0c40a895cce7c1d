"""TicketService on a real database (SQLite and PostgreSQL): creation, lifecycle, look-ups,
report figures, retention."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from ivr.tickets import db as dbmod
from ivr.tickets.models import Base
from ivr.tickets.types import (
    CallRecordDraft,
    IllegalTransition,
    InvalidDraft,
    TicketDraft,
    TicketFilters,
    TicketNotFound,
    ticket_uuid,
)

T0 = datetime(2026, 11, 17, 2, 0, tzinfo=timezone.utc)  # Tuesday 10:00 in Shanghai


def draft(call_id: str, category: str = "complaint", **kw: object) -> TicketDraft:
    kw.setdefault("opened_at", T0)
    kw.setdefault("caller_number", "13812345678")
    kw.setdefault("summary", "电视屏幕有坏点")
    return TicketDraft(call_id=call_id, category=category, **kw)  # type: ignore[arg-type]


def test_schema_matches_models(db_url: str, make_service) -> None:
    svc = make_service(db_url)
    assert dbmod.current_revision(svc.engine) == dbmod.head_revision()
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with svc.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []
    tables = set(inspect(svc.engine).get_table_names())
    assert {"tickets", "ticket_events", "call_records"} <= tables


def test_open_is_idempotent_by_call_and_category(db_url: str, make_service) -> None:
    svc = make_service(db_url)
    first = svc.open_ticket(draft("call-1"))
    again = svc.open_ticket(draft("call-1", summary="changed"))
    other = svc.open_ticket(draft("call-1", category="suggestion"))
    assert first.created and not first.journaled
    assert again.ticket_id == first.ticket_id and not again.created
    assert other.ticket_id != first.ticket_id
    assert svc.count_tickets() == 2
    ticket = svc.get(first.short_id)
    assert ticket.summary == "电视屏幕有坏点"
    assert [e.action for e in ticket.events] == ["open"]
    # complaint: 24 wall-clock hours
    # a complaint is answered the same working day (seed 000 第十条): T0 is Tuesday 10:00
    # in Shanghai, the office closes at 18:00 = 10:00 UTC
    assert first.promised_reply_by == T0 + timedelta(hours=8)


def test_lifecycle_records_every_change(db_url: str, make_service) -> None:
    svc = make_service(db_url)
    r = svc.open_ticket(draft("call-2"))
    t1 = T0 + timedelta(hours=1)
    svc.dispatch(r.short_id, "售后部", actor="li", now=t1)
    svc.resolve(r.short_id, note="已换货", actor="li", now=t1 + timedelta(hours=2))
    svc.close(r.short_id, actor="wang", now=t1 + timedelta(hours=3))
    svc.reopen(r.short_id, note="caller called back", actor="wang", now=t1 + timedelta(hours=4))
    view = svc.get(r.ticket_id)
    assert view.status == "dispatched" and view.department == "售后部"
    assert [(e.from_status, e.to_status) for e in view.events] == [
        (None, "new"),
        ("new", "dispatched"),
        ("dispatched", "resolved"),
        ("resolved", "closed"),
        ("closed", "dispatched"),
    ]
    assert view.events[2].note == "已换货" and view.events[3].actor == "wang"
    assert view.replied_at == t1 + timedelta(hours=2)  # first reply survives a reopen
    assert view.resolved_at is None and view.closed_at is None


def test_illegal_transition_names_ticket_from_and_to(db_url: str, make_service) -> None:
    svc = make_service(db_url)
    r = svc.open_ticket(draft("call-3"))
    with pytest.raises(IllegalTransition) as err:
        svc.close(r.short_id)
    assert r.short_id in str(err.value)
    assert "'new'" in str(err.value) and "'closed'" in str(err.value)
    assert [e.action for e in svc.get(r.short_id).events] == ["open"]  # nothing recorded


def test_id_prefixes(db_url: str, make_service) -> None:
    svc = make_service(db_url)
    ids = [svc.open_ticket(draft(f"p-{i}")).ticket_id for i in range(3)]
    assert svc.get(ids[0][:8]).id == ids[0]
    assert svc.get(ids[0].upper()).id == ids[0]
    with pytest.raises(TicketNotFound, match="at least 4"):
        svc.get("ab")
    with pytest.raises(TicketNotFound, match="no ticket id starts with"):
        svc.get("ffffffff-0000")
    # Two tickets whose ids share their first 4 hex digits: that prefix is ambiguous.
    seen: dict[str, str] = {}
    for n in range(100_000):
        tid = ticket_uuid(f"amb-{n}", "complaint")
        if tid[:4] in seen:
            pair = (seen[tid[:4]], f"amb-{n}")
            break
        seen[tid[:4]] = f"amb-{n}"
    for call_id in pair:
        svc.open_ticket(draft(call_id))
    with pytest.raises(TicketNotFound, match="ambiguous"):
        svc.get(ticket_uuid(pair[0], "complaint")[:4])


def test_filters_and_overdue(db_url: str, make_service) -> None:
    svc = make_service(db_url)
    a = svc.open_ticket(draft("f-1", "inquiry"))  # due 1 working hour later: 11:00 local
    b = svc.open_ticket(draft("f-2", "complaint", opened_at=T0 + timedelta(days=1)))
    svc.open_ticket(draft("f-3", "harassment"))
    svc.resolve(b.short_id, note="ok", now=T0 + timedelta(days=1, hours=1))
    now = T0 + timedelta(hours=2)
    assert [t.id for t in svc.overdue(now)] == [a.ticket_id]
    assert [t.call_id for t in svc.list_tickets(TicketFilters(status="resolved"))] == ["f-2"]
    assert [t.call_id for t in svc.list_tickets(TicketFilters(category="harassment"))] == ["f-3"]
    since = svc.list_tickets(TicketFilters(since=T0 + timedelta(hours=12)))
    assert [t.call_id for t in since] == ["f-2"]
    with pytest.raises(InvalidDraft, match="status 'open'"):
        svc.list_tickets(TicketFilters(status="open"))


def test_blacklist_and_repeat_callers(db_url: str, make_service) -> None:
    svc = make_service(db_url, blacklist_days=30)
    svc.open_ticket(draft("h-1", "harassment", caller_number="139 0000 1111"))
    svc.open_ticket(draft("h-2", "complaint", caller_number="13600002222"))
    assert svc.is_blacklisted("13900001111", now=T0 + timedelta(days=29))
    assert not svc.is_blacklisted("13900001111", now=T0 + timedelta(days=31))
    assert not svc.is_blacklisted("13600002222", now=T0)
    assert svc.repeat_calls("13600002222", since=T0 - timedelta(days=1)) == 1


def test_call_records_satisfaction_and_report(db_url: str, make_service) -> None:
    svc = make_service(db_url)
    reasons = ["normal", "silent", "silent", "noisy", "transferred", "harassment"]
    for i, reason in enumerate(reasons):
        record = CallRecordDraft(
            call_id=f"r-{i}",
            answered_at=T0 + timedelta(hours=i),
            ended_at=T0 + timedelta(hours=i, minutes=2),
            end_reason=reason,
            caller_number="13812345678",
            prompts_played=("greeting", "silent_1"),
            silent_s=10.0 if reason == "silent" else 0.0,
        )
        svc.record_call(record)
        svc.record_call(record)  # idempotent by call id
    # A call in December does not count for November.
    svc.record_call(
        CallRecordDraft(
            call_id="dec",
            answered_at=datetime(2026, 12, 1, 1, tzinfo=timezone.utc),
            ended_at=datetime(2026, 12, 1, 1, 5, tzinfo=timezone.utc),
            end_reason="normal",
        )
    )
    assert svc.count_calls() == 7
    fcr = svc.open_ticket(draft("r-0", "inquiry"))  # resolved at first contact, in time
    svc.resolve(fcr.short_id, note="answered", now=T0 + timedelta(minutes=30))
    late = svc.open_ticket(draft("r-4", "complaint"))  # dispatched, resolved late
    svc.dispatch(late.short_id, "billing", now=T0 + timedelta(hours=1))
    svc.resolve(late.short_id, note="refund", now=T0 + timedelta(hours=30))
    pending = svc.open_ticket(draft("r-5", "callback", opened_at=T0 + timedelta(days=10)))
    svc.set_satisfaction(fcr.ticket_id, 5)
    svc.set_satisfaction(late.ticket_id, 2)
    with pytest.raises(InvalidDraft):
        svc.set_satisfaction(late.ticket_id, 6)
    with pytest.raises(TicketNotFound):
        svc.set_satisfaction("00000000-0000-0000-0000-000000000000", 3)

    rep = svc.monthly_report(2026, 11, now=T0 + timedelta(days=10, hours=1))
    assert rep.tickets_total == 3
    assert rep.by_category["inquiry"] == 1 and rep.by_category["complaint"] == 1
    assert rep.by_status == {"new": 1, "dispatched": 0, "resolved": 2, "closed": 0}
    assert (rep.sla_met, rep.sla_missed, rep.sla_pending) == (1, 1, 1)
    assert rep.sla_met_pct == pytest.approx(50.0)
    assert (rep.fcr_resolved, rep.fcr_base) == (1, 3)
    assert rep.calls_total == 6
    assert rep.calls_by_end_reason["silent"] == 2 and rep.calls_by_end_reason["noisy"] == 1
    assert rep.satisfaction_avg == pytest.approx(3.5)
    assert pending.promised_reply_by is not None


def test_bad_drafts_are_refused_with_the_field(db_url: str, make_service) -> None:
    svc = make_service(db_url)
    with pytest.raises(InvalidDraft, match="category 'complain'"):
        svc.open_ticket(draft("x", "complain"))
    with pytest.raises(InvalidDraft, match="opened_at"):
        svc.open_ticket(draft("x", opened_at=datetime(2026, 11, 17, 10)))
    with pytest.raises(InvalidDraft, match="end_reason"):
        svc.record_call(CallRecordDraft(call_id="x", answered_at=T0, ended_at=T0, end_reason="ok"))
    assert svc.count_tickets() == 0
    long_name = svc.open_ticket(draft("y", caller_surname="欧" * 300, department="d" * 300))
    view = svc.get(long_name.short_id)  # cut to fit, never refused
    assert view.caller_surname == "欧" * 64 and view.department == "d" * 100


def test_recordings_are_purged_after_retention(db_url: str, make_service, tmp_path: Path) -> None:
    svc = make_service(db_url, recording_retention_days=30)
    old_wav = tmp_path / "old.wav"
    new_wav = tmp_path / "new.wav"
    old_wav.write_bytes(b"RIFF")
    new_wav.write_bytes(b"RIFF")
    old = svc.open_ticket(draft("rec-1", recording_path=str(old_wav)))
    svc.open_ticket(draft("rec-2", recording_path=str(new_wav), opened_at=T0 + timedelta(days=20)))
    now = T0 + timedelta(days=40)
    assert svc.purge_recordings(now=now, dry_run=True) == [str(old_wav)]
    assert old_wav.exists()
    assert svc.purge_recordings(now=now) == [str(old_wav)]
    assert not old_wav.exists() and new_wav.exists()
    assert svc.purge_recordings(now=now) == []  # done once
    assert svc.get(old.short_id).events[-1].action == "purge_recording"


def test_sqlite_file_is_in_wal_mode(tmp_path: Path, make_service) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    make_service(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()

