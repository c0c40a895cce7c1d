"""No ticket is ever lost: journal on outage, exact replay, 8 concurrent writers, kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from ticket_helpers import REPO, TEST_KEY, pg_control, unreachable_pg_url

from ivr.tickets.db import SQLITE_BUSY_TIMEOUT_MS
from ivr.tickets.journal import JOURNAL_NAME, REJECTED_NAME, Journal
from ivr.tickets.models import Ticket, TicketEvent
from ivr.tickets.types import CallRecordDraft, TicketDraft

T0 = datetime(2026, 11, 17, 2, 0, tzinfo=timezone.utc)
WRITER = Path(__file__).with_name("ticket_writer.py")
WRITERS = 8
TOTAL = 2000


def draft(call_id: str, category: str = "complaint") -> TicketDraft:
    return TicketDraft(
        call_id=call_id,
        category=category,
        opened_at=T0,
        caller_number="13812345678",
        summary="投诉内容",
    )


def counts(url: str) -> tuple[int, int, int]:
    """(tickets, distinct (call_id, category), 'open' events) straight from the database."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.scalar(select(func.count()).select_from(Ticket))
            distinct = conn.scalar(
                select(func.count()).select_from(
                    select(Ticket.call_id, Ticket.category).distinct().subquery()
                )
            )
            opens = conn.scalar(
                select(func.count()).select_from(TicketEvent).where(TicketEvent.action == "open")
            )
    finally:
        engine.dispose()
    return int(n or 0), int(distinct or 0), int(opens or 0)


# Journal ---------------------------------------------------------------------------------------


def test_unreachable_database_journals_then_replays_exactly(tmp_path: Path, make_service) -> None:
    data = tmp_path / "data"
    down = make_service(unreachable_pg_url(), data)
    receipts = [down.open_ticket(draft(f"j-{i}")) for i in range(20)]
    again = down.open_ticket(draft("j-3"))  # same call again while down: same id
    down.record_call(
        CallRecordDraft(
            call_id="j-0",
            answered_at=T0,
            ended_at=T0 + timedelta(minutes=1),
            end_reason="normal",
            caller_number="13812345678",
        )
    )
    down.set_satisfaction(receipts[0].ticket_id, 4)
    assert all(r.journaled for r in receipts)
    assert again.ticket_id == receipts[3].ticket_id
    # a complaint is answered the same working day (seed 000 第十条): T0 is Tuesday 10:00
    # in Shanghai, the office closes at 18:00 = 10:00 UTC
    assert receipts[0].promised_reply_by == T0 + timedelta(hours=8)
    assert down.journal.pending_count() == 23
    down.shutdown()

    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    up = make_service(url, data)  # start() replays the journal
    assert counts(url) == (20, 20, 20)
    assert up.count_calls() == 1
    assert up.get(receipts[0].ticket_id).satisfaction == 4
    assert up.journal.pending_count() == 0
    assert up.replay_journal() == 0  # nothing left, nothing doubled
    assert counts(url) == (20, 20, 20)


def test_replay_keeps_entries_while_the_database_is_down(tmp_path: Path, make_service) -> None:
    svc = make_service(unreachable_pg_url(), tmp_path / "d")
    for i in range(5):
        svc.open_ticket(draft(f"k-{i}"))
    stats = svc.replay_journal_stats()
    assert stats.applied == 0 and svc.journal.pending_count() == 5


def test_torn_last_line_is_reported_and_does_not_eat_the_next_entry(
    tmp_path: Path, make_service, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    down = make_service(unreachable_pg_url(), data)
    down.open_ticket(draft("t-1"))
    with open(data / JOURNAL_NAME, "ab") as fh:  # a writer killed mid-line
        fh.write(b'{"v":1,"kind":"ticket","data":{"id":"3f2a')
    down.open_ticket(draft("t-2"))  # must start on a fresh line
    down.shutdown()
    lines = (data / JOURNAL_NAME).read_bytes().split(b"\n")
    assert lines[1].startswith(b'{"v":1,"kind":"ticket","data":{"id":"3f2a')
    assert json.loads(lines[2])["data"]["call_id"] == "t-2"

    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    up = make_service(url, data, auto_upgrade=True)
    stats = up.replay_journal_stats()  # start() already applied; the stats come from start
    assert stats.applied == 0
    assert counts(url) == (2, 2, 2)
    assert "torn or unreadable" in caplog.text
    assert (data / REJECTED_NAME).read_bytes().startswith(b'{"v":1,"kind":"ticket"')


def test_entries_the_database_refuses_are_set_aside_not_blocking(
    tmp_path: Path, make_service
) -> None:
    data = tmp_path / "data"
    down = make_service(unreachable_pg_url(), data)
    down.open_ticket(draft("r-1"))
    down.journal.append("ticket", {"id": "not-a-full-row"})  # malformed: no call_id, ...
    down.open_ticket(draft("r-2"))
    down.shutdown()
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    up = make_service(url, data, auto_upgrade=True)
    assert counts(url) == (2, 2, 2)
    assert up.journal.pending_count() == 0
    assert b"not-a-full-row" in (data / REJECTED_NAME).read_bytes()


def test_orphaned_replay_file_of_a_killed_replayer_is_picked_up(
    tmp_path: Path, make_service
) -> None:
    data = tmp_path / "data"
    down = make_service(unreachable_pg_url(), data)
    down.open_ticket(draft("o-1"))
    down.open_ticket(draft("o-2"))
    down.shutdown()
    (data / JOURNAL_NAME).rename(data / "journal.replaying-999999-0.jsonl")
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    make_service(url, data)
    assert counts(url) == (2, 2, 2)
    assert not list(data.glob("journal.replaying-*"))


def test_concurrent_replays_never_duplicate(tmp_path: Path, make_service) -> None:
    data = tmp_path / "data"
    down = make_service(unreachable_pg_url(), data)
    for i in range(300):
        down.open_ticket(draft(f"c-{i}"))
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    replayers = [
        make_service(url, data, auto_upgrade=False) for _ in range(3)
    ]  # not started: no replay yet
    from ivr.tickets import db as dbmod

    dbmod.upgrade(replayers[0].engine)
    for r in replayers:
        r._schema_ready = True
    barrier = threading.Barrier(3)

    def replay(svc) -> int:  # type: ignore[no-untyped-def]
        barrier.wait()
        return svc.replay_journal()

    with ThreadPoolExecutor(3) as pool:
        applied = list(pool.map(replay, replayers))
    assert sum(applied) == 300  # each entry applied by exactly one replayer
    assert counts(url) == (300, 300, 300)
    assert Journal(data).pending_count() == 0


def test_replayer_thread_applies_the_journal(tmp_path: Path, make_service) -> None:
    data = tmp_path / "data"
    down = make_service(unreachable_pg_url(), data)
    for i in range(3):
        down.open_ticket(draft(f"bg-{i}"))
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    up = make_service(url, data / "other")  # a different journal: starts empty
    # Point the running service's journal at the one with entries, then let the thread work.
    up.journal = Journal(data)
    up.start_replayer(interval_s=0.05)
    deadline = threading.Event()
    for _ in range(200):
        if counts(url)[0] == 3:
            break
        deadline.wait(0.05)
    assert counts(url) == (3, 3, 3)


# PostgreSQL outage -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_outage_mid_run_is_journaled_and_replayed(pg_url: str, make_service) -> None:
    svc = make_service(pg_url, retry_after_s=0.2)
    before = [svc.open_ticket(draft(f"pg-{i}")) for i in range(30)]
    assert not any(r.journaled for r in before)
    pg_control("pause")
    try:
        during = [svc.open_ticket(draft(f"pg-{i}")) for i in range(30, 60)]
        repeat = svc.open_ticket(draft("pg-5"))  # already in the DB, DB down: journaled too
        svc.record_call(
            CallRecordDraft(call_id="pg-40", answered_at=T0, ended_at=T0, end_reason="silent")
        )
    finally:
        pg_control("resume")
    assert all(r.journaled for r in during) and repeat.journaled
    assert repeat.ticket_id == before[5].ticket_id
    assert svc.journal.pending_count() == 32
    applied = svc.replay_journal()
    assert applied == 32
    assert counts(pg_url) == (60, 60, 60)
    assert svc.count_calls() == 1
    assert svc.journal.pending_count() == 0
    # After the outage new tickets go straight to the database again.
    assert not svc.open_ticket(draft("pg-after")).journaled


# Concurrency -------------------------------------------------------------------------------------


def test_eight_writer_threads_create_exactly_2000(db_url: str, make_service) -> None:
    # SQLite's own handling of contention (WAL, BEGIN IMMEDIATE) is what is tested here, so
    # calls wait the long busy timeout; a held lock journals at once (test_locked_database).
    svc = make_service(db_url, call_busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS)
    per = TOTAL // WRITERS

    def writer(w: int) -> list[bool]:
        out = []
        for n in range(per):
            out.append(svc.open_ticket(draft(f"w{w}-{n}")).journaled)
            if n % 50 == 0:  # re-submit another writer's ticket: still one row
                svc.open_ticket(draft(f"w{(w + 1) % WRITERS}-{n}"))
        return out

    with ThreadPoolExecutor(WRITERS) as pool:
        results = [j for chunk in pool.map(writer, range(WRITERS)) for j in chunk]
    assert len(results) == TOTAL and not any(results)  # none needed the journal
    assert counts(db_url) == (TOTAL, TOTAL, TOTAL)
    assert svc.journal.pending_count() == 0


def _spawn_writer(
    url: str, data: Path, prefix: str, count: int, threads: int, dup: str | None = None
) -> subprocess.Popen[str]:
    args = [sys.executable, str(WRITER), url, str(data), prefix, str(count), str(threads)]
    if dup:
        args += ["--duplicates-of", dup]
    env = dict(os.environ, PYTHONPATH=str(REPO), IVR_NUMBER_KEY=TEST_KEY)
    return subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def test_eight_writer_processes_on_one_sqlite_file(tmp_path: Path, make_service) -> None:
    url = f"sqlite:///{tmp_path / 'multi.sqlite3'}"
    data = tmp_path / "data"
    make_service(url, data)  # schema upgraded once
    per = TOTAL // WRITERS
    procs = [
        _spawn_writer(url, data, f"p{w}", per, 2, dup=f"p{(w + 1) % WRITERS}")
        for w in range(WRITERS)
    ]
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-2000:]
        assert "database is locked" not in err
        outputs.append(out)
    lines = [line.split() for out in outputs for line in out.splitlines()]
    assert all(j == "0" for _, j in lines)  # every ticket went straight to the database
    assert counts(url) == (TOTAL, TOTAL, TOTAL)
    assert Journal(data).pending_count() == 0


# kill -9 -----------------------------------------------------------------------------------------


def _kill_after(proc: subprocess.Popen[str], acks: int) -> list[str]:
    """Read acknowledged ids until `acks` lines, SIGKILL the writer, return every acked id."""
    assert proc.stdout is not None
    acked: list[str] = []
    for line in proc.stdout:
        acked.append(line.split()[0])
        if len(acked) >= acks:
            break
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate(timeout=30)
    acked += [line.split()[0] for line in rest.splitlines() if len(line.split()) == 2]
    assert proc.returncode == -signal.SIGKILL
    return acked


def test_kill_9_of_a_database_writer_loses_nothing(tmp_path: Path, make_service) -> None:
    url = f"sqlite:///{tmp_path / 'k.sqlite3'}"
    data = tmp_path / "data"
    make_service(url, data)
    acked = _kill_after(_spawn_writer(url, data, "k", 100_000, 4), 300)
    svc = make_service(url, data)
    found = {t.id for t in svc.list_tickets()}
    assert set(acked) <= found
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()


def test_kill_9_of_a_journal_writer_loses_nothing(tmp_path: Path, make_service) -> None:
    data = tmp_path / "data"
    acked = _kill_after(_spawn_writer(unreachable_pg_url(), data, "kj", 100_000, 4), 300)
    url = f"sqlite:///{tmp_path / 'kj.sqlite3'}"
    svc = make_service(url, data)  # replays whatever the killed writer left, torn line or not
    found = {t.id for t in svc.list_tickets()}
    assert set(acked) <= found
    assert len(found) == counts(url)[1]
