"""What a caller said, at rest (issue 13): the surname and the transcript are stored encrypted
like the caller number when IVR_NUMBER_KEY is set, in the database and in the journal; the
readers (service, `ivr tickets show`) give them back with the key.

The raw rows are read beside the service (sqlite3 / psycopg), as whoever copies the database
would read them.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from ticket_helpers import TEST_KEY, unreachable_pg_url

from ivr.cli import main as ivr_main
from ivr.tickets import privacy
from ivr.tickets.types import TicketDraft, reference_number

T0 = datetime(2026, 11, 17, 2, 0, tzinfo=timezone.utc)
SURNAME = "欧阳"
SAID = "我家的热水器漏水了已经三天"
HEARD_LATER = "录音里说热水器型号是甲乙丙"


def draft(call_id: str) -> TicketDraft:
    return TicketDraft(call_id=call_id, category="complaint", opened_at=T0,
                       caller_number="13812345678", caller_surname=SURNAME,
                       caller_title="女士", transcript=SAID, summary="热水器")


def raw_rows(url: str) -> str:
    """Every column of every ticket row and audit event, as text, read without the service."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            rows = conn.execute("SELECT * FROM tickets").fetchall()
            rows += conn.execute("SELECT * FROM ticket_events").fetchall()
        finally:
            conn.close()
    else:
        engine = create_engine(url)
        with engine.connect() as c:
            rows = [tuple(r) for r in c.execute(text("SELECT * FROM tickets"))]
            rows += [tuple(r) for r in c.execute(text("SELECT * FROM ticket_events"))]
        engine.dispose()
    assert rows
    return "\n".join(str(v) for r in rows for v in r)


def test_surname_and_transcript_encrypted_in_the_database(
    db_url: str, tmp_path: Path, make_service, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    svc = make_service(db_url, tmp_path / "data", number_key=TEST_KEY)
    receipt = svc.open_ticket(draft("words-1"))
    svc.add_transcript(receipt.ticket_id, HEARD_LATER)
    svc.add_transcript(receipt.ticket_id, HEARD_LATER)  # applied once, even encrypted
    stored = raw_rows(db_url)
    for words in (SURNAME, SAID, HEARD_LATER, "热水器漏水"):
        assert words not in stored
    view = svc.get(receipt.short_id)
    assert view.caller_surname == SURNAME
    assert view.transcript.count(HEARD_LATER) == 1 and view.transcript.startswith(SAID)
    svc.shutdown()

    cfg = tmp_path / "ivr.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n\n[database]\nurl = "{db_url}"\n',
                   encoding="utf-8")
    monkeypatch.setenv("IVR_NUMBER_KEY", TEST_KEY)
    assert ivr_main(["--config", str(cfg), "tickets", "show", receipt.short_id]) == 0
    out = capsys.readouterr().out
    assert SURNAME in out and SAID in out and HEARD_LATER in out

    # without the key the reader says the words are there but sealed: no ciphertext soup
    monkeypatch.delenv("IVR_NUMBER_KEY")
    assert ivr_main(["--config", str(cfg), "tickets", "show", receipt.short_id]) == 0
    out = capsys.readouterr().out
    assert SAID not in out and SURNAME not in out and "gAAAA" not in out
    assert privacy.SEALED in out


def test_journal_holds_no_plain_words(tmp_path: Path, make_service) -> None:
    data = tmp_path / "data"
    down = make_service(unreachable_pg_url(), data, number_key=TEST_KEY)
    receipt = down.open_ticket(draft("words-2"))
    assert receipt.journaled
    down.add_transcript(receipt.ticket_id, HEARD_LATER)  # journaled as well
    journal = b"".join(p.read_bytes() for p in data.rglob("journal*.jsonl")).decode()
    assert journal.count("\n") == 2
    for words in (SURNAME, SAID, HEARD_LATER):
        assert words not in journal
    down.shutdown()

    (tmp_path / "db").mkdir()
    url = f"sqlite:///{tmp_path / 'db' / 'back.sqlite3'}"
    up = make_service(url, data, number_key=TEST_KEY)  # start() replays the journal
    view = up.get(receipt.short_id)
    assert view.caller_surname == SURNAME and SAID in view.transcript
    assert HEARD_LATER in view.transcript
    assert SURNAME not in raw_rows(url) and SAID not in raw_rows(url)


def test_without_a_key_nothing_said_is_lost(
    tmp_path: Path, make_service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(privacy, "_warned", False)
    (tmp_path / "db").mkdir()
    url = f"sqlite:///{tmp_path / 'db' / 'clear.sqlite3'}"
    svc = make_service(url, tmp_path / "data", number_key=None)
    receipt = svc.open_ticket(draft("words-3"))
    view = svc.get(receipt.short_id)
    assert view.caller_surname == SURNAME and view.transcript == SAID


def test_show_accepts_the_spoken_reference_number(tmp_path: Path, make_service) -> None:
    (tmp_path / "db").mkdir()
    url = f"sqlite:///{tmp_path / 'db' / 'ref.sqlite3'}"
    svc = make_service(url, tmp_path / "data")
    receipt = svc.open_ticket(draft("words-4"))
    svc.open_ticket(draft("words-5"))
    spoken = reference_number(receipt.ticket_id)
    assert len(spoken) == 10 and spoken.isdigit()
    assert svc.get(spoken).id == receipt.ticket_id
    assert svc.get(" ".join([spoken[:3], spoken[3:6], spoken[6:]])).id == receipt.ticket_id


def test_migration_0006_keeps_rows_events_and_guards(db_url: str, tmp_path: Path) -> None:
    """Widening the surname must not rebuild the SQLite table: that would drop 0003's triggers
    and cascade the DROP to the audit trail."""
    from alembic import command

    from ivr.tickets import db as dbmod
    from ivr.tickets.service import TicketService

    engine = dbmod.make_engine(db_url)
    dbmod.upgrade(engine, "0005_cdr")
    old = TicketService(db_url, tmp_path / "data", number_key=None, auto_upgrade=False)
    receipt = old.open_ticket(draft("words-6"))
    assert not receipt.journaled
    old.shutdown()
    dbmod.upgrade(engine)
    assert dbmod.current_revision(engine) == dbmod.head_revision()
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM ticket_events")).scalar_one() == 1
        with pytest.raises(Exception, match="caller_number_hash"):  # 0003's guard still there
            conn.execute(text("UPDATE tickets SET caller_number_hash = 'x'"))
    new = TicketService(db_url, tmp_path / "data", number_key=TEST_KEY, auto_upgrade=False)
    assert new.get(receipt.short_id).caller_surname == SURNAME  # clear rows still read
    long_one = new.open_ticket(draft("words-7"))  # a sealed surname is ~130 characters
    assert new.get(long_one.short_id).caller_surname == SURNAME
    new.shutdown()
    command.downgrade(dbmod.alembic_config(db_url), "0005_cdr")
    engine.dispose()
