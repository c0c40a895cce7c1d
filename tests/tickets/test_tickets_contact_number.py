"""The callback contact number on a ticket: encrypted like the caller number, journaled when the
database is down, never in the clear in the database, the journal or the log."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from ticket_helpers import unreachable_pg_url

from ivr.tickets.journal import JOURNAL_NAME
from ivr.tickets.service import InvalidDraft, TicketNotFound
from ivr.tickets.types import TicketDraft

T0 = datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc)
NUMBER = "13912345678"


def draft(call_id: str) -> TicketDraft:
    return TicketDraft(call_id=call_id, category="inquiry", opened_at=T0, summary="退货要多久",
                       caller_number="13800001234")


def test_stored_encrypted_and_masked_and_revealed_for_the_desk(db_url: str, make_service,
                                                               caplog) -> None:
    caplog.set_level(logging.DEBUG)
    svc = make_service(db_url)
    receipt = svc.open_ticket(draft("c-1"))
    svc.set_contact_number(receipt.ticket_id, NUMBER)
    with create_engine(db_url).connect() as conn:
        enc, masked = conn.execute(text(
            "SELECT contact_number_enc, contact_number_masked FROM tickets")).one()
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM tickets"))
                        for v in row)
    assert masked == "139****5678"
    assert enc and NUMBER not in enc and NUMBER not in dump
    assert svc.contact_number(receipt.ticket_id) == NUMBER
    assert svc.get(receipt.ticket_id).contact_number == "139****5678"
    assert svc.get(receipt.ticket_id, reveal=True).contact_number == NUMBER
    assert NUMBER not in caplog.text


def test_bad_number_and_unknown_ticket_are_refused_without_echoing_the_value(
        tmp_path: Path, make_service) -> None:
    svc = make_service(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    receipt = svc.open_ticket(draft("c-2"))
    with pytest.raises(InvalidDraft) as bad:
        svc.set_contact_number(receipt.ticket_id, "13912x45678")
    assert "13912x45678" not in str(bad.value)
    with pytest.raises(TicketNotFound):
        svc.set_contact_number("00000000-0000-0000-0000-000000000000", NUMBER)


def test_journaled_while_the_database_is_down_then_replayed(tmp_path: Path,
                                                            make_service) -> None:
    data = tmp_path / "data"
    down = make_service(unreachable_pg_url(), data)
    receipt = down.open_ticket(draft("c-3"))
    down.set_contact_number(receipt.ticket_id, NUMBER)
    assert down.journal.pending_count() == 2
    assert NUMBER not in (data / JOURNAL_NAME).read_text(encoding="utf-8")
    down.shutdown()
    up = make_service(f"sqlite:///{tmp_path / 'db.sqlite3'}", data)  # start() replays
    assert up.journal.pending_count() == 0
    assert up.contact_number(receipt.ticket_id) == NUMBER
