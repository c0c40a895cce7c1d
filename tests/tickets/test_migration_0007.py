"""Migration 0007 (failed sign-ins, webhook dead letters) on SQLite and PostgreSQL: upgrading
a 0006 database keeps its rows and the audit trail; the new tables work; downgrade removes
them and nothing else."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import inspect, text

from ivr.tickets.types import TicketDraft

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
NEW_TABLES = {"console_login_failures", "webhook_dead_letters"}


def test_0007_upgrades_and_downgrades_without_touching_other_rows(db_url: str,
                                                                  tmp_path: Path) -> None:
    from alembic import command

    from ivr.tickets import db as dbmod
    from ivr.tickets.console_store import ConsoleStore
    from ivr.tickets.service import TicketService

    engine = dbmod.make_engine(db_url)
    dbmod.upgrade(engine, "0006_sealed")
    assert not NEW_TABLES & set(inspect(engine).get_table_names())
    old = TicketService(db_url, tmp_path / "data", number_key=None, auto_upgrade=False)
    receipt = old.open_ticket(TicketDraft(call_id="m7", category="inquiry", opened_at=T0))
    old.shutdown()

    dbmod.upgrade(engine)
    assert dbmod.current_revision(engine) == dbmod.head_revision()
    assert NEW_TABLES <= set(inspect(engine).get_table_names())
    svc = TicketService(db_url, tmp_path / "data", number_key=None, auto_upgrade=False)
    assert svc.get(receipt.short_id).events[0].action == "open"
    store = ConsoleStore(svc)
    store.add_login_failure(["u:ann", "c:10.0.0.1"], T0, T0 - timedelta(minutes=15))
    assert store.login_failures(["u:ann"], T0 - timedelta(minutes=1)) == {"u:ann": [T0]}
    svc.shutdown()

    command.downgrade(dbmod.alembic_config(db_url), "0006_sealed")
    engine.dispose()
    assert not NEW_TABLES & set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM ticket_events")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM tickets")).scalar_one() == 1
    engine.dispose()
