"""Ticket register throughput: 8 writer threads opening tickets, and journal appends.

Prints figures; asserts nothing about speed. PostgreSQL is measured when IVR_TEST_PG_URL is set
(scripts/test-postgres start). Usage: .venv/bin/python bench/tickets_throughput.py [COUNT]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from ivr.tickets.service import TicketService
from ivr.tickets.types import TicketDraft

WRITERS = 8
KEY = "bench-number-key-0123456789abcdef"
OPENED = datetime(2026, 11, 17, 2, 0, tzinfo=timezone.utc)


def draft(call_id: str) -> TicketDraft:
    return TicketDraft(
        call_id=call_id,
        category="complaint",
        opened_at=OPENED,
        caller_number="13812345678",
        summary="x" * 120,
    )


def run(label: str, url: str, data: Path, count: int) -> None:
    svc = TicketService(url, data, number_key=KEY, auto_upgrade=True).start()
    per = count // WRITERS

    def writer(w: int) -> int:
        return sum(
            1 for n in range(per) if not svc.open_ticket(draft(f"{label}-{w}-{n}")).journaled
        )

    t0 = time.perf_counter()
    with ThreadPoolExecutor(WRITERS) as pool:
        direct = sum(pool.map(writer, range(WRITERS)))
    elapsed = time.perf_counter() - t0
    print(
        f"{label:<10} {per * WRITERS} tickets, {WRITERS} threads: {elapsed:.2f} s, "
        f"{per * WRITERS / elapsed:.0f} tickets/s, {direct} direct, "
        f"{svc.journal.pending_count()} journaled"
    )
    svc.shutdown()


def run_journal(data: Path, count: int) -> None:
    url = "postgresql+psycopg://x:y@127.0.0.1:9/none"  # nothing listens: journal only
    svc = TicketService(url, data, number_key=KEY, auto_upgrade=True, retry_after_s=3600)
    t0 = time.perf_counter()
    for n in range(count):
        svc.open_ticket(draft(f"j-{n}"))
    elapsed = time.perf_counter() - t0
    print(
        f"{'journal':<10} {count} tickets, 1 thread: {elapsed:.2f} s, "
        f"{count / elapsed:.0f} tickets/s (each fsync'd)"
    )
    svc.shutdown()


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        run("sqlite", f"sqlite:///{base / 'b.sqlite3'}", base / "d1", count)
        pg = os.environ.get("IVR_TEST_PG_URL")
        if pg:
            import psycopg
            from sqlalchemy.engine import make_url

            u = make_url(pg)
            dsn = (
                f"host={u.host} port={u.port} user={u.username} password={u.password} "
                f"dbname={u.database}"
            )
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS ivr_bench WITH (FORCE)")
                conn.execute("CREATE DATABASE ivr_bench")
            try:
                run(
                    "postgres",
                    u.set(database="ivr_bench").render_as_string(False),
                    base / "d2",
                    count,
                )
            finally:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    conn.execute("DROP DATABASE IF EXISTS ivr_bench WITH (FORCE)")
        else:
            print("postgres   skipped (set IVR_TEST_PG_URL, see scripts/test-postgres)")
        run_journal(base / "d3", min(count, 500))
    return 0


if __name__ == "__main__":
    sys.exit(main())
