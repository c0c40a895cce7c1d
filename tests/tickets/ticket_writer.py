"""A ticket-writing process for the concurrency and kill -9 tests (run as a script, not a test).

usage: ticket_writer.py URL DATA_DIR PREFIX COUNT THREADS [--duplicates-of PREFIX]
Opens COUNT tickets named PREFIX-<n> over THREADS threads and prints one line per receipt,
"<ticket id> <journaled 0/1>", flushed after the call returned: a line on stdout is a promise
that the ticket is durable.
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

from ivr.tickets.db import SQLITE_BUSY_TIMEOUT_MS
from ivr.tickets.service import TicketService
from ivr.tickets.types import TicketDraft

KEY = "test-number-key-0123456789abcdef"


def main() -> int:
    url, data_dir, prefix, count_s, threads_s = sys.argv[1:6]
    dup_prefix = sys.argv[7] if len(sys.argv) > 7 and sys.argv[6] == "--duplicates-of" else None
    count, threads = int(count_s), int(threads_s)
    # contention is what the callers test: wait the long busy timeout, as people at the CLI do
    svc = TicketService(url, Path(data_dir), number_key=KEY, auto_upgrade=False,
                        call_busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS)
    out_lock = threading.Lock()
    opened = datetime(2026, 11, 17, 2, 0, tzinfo=timezone.utc)

    def work(k: int) -> None:
        for n in range(k, count, threads):
            names = [f"{prefix}-{n}"]
            if dup_prefix is not None and n % 25 == 0:
                names.append(f"{dup_prefix}-{n}")
            for call_id in names:
                receipt = svc.open_ticket(
                    TicketDraft(
                        call_id=call_id,
                        category="complaint",
                        opened_at=opened,
                        caller_number="13812345678",
                        summary="x" * 200,
                    )
                )
                with out_lock:
                    sys.stdout.write(f"{receipt.ticket_id} {int(receipt.journaled)}\n")
                    sys.stdout.flush()

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    svc.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
