"""A full disk never loses a ticket (issue 11 item 9).

Real small filesystems: a tmpfs of a few MB mounted for the test (root only) holds the database
and the data directory, filled to the last byte. The guard's threshold logic is tested with an
injected free-space probe.
"""

from __future__ import annotations

import errno
import logging
import os
import subprocess
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from ticket_helpers import TEST_KEY

from ivr.tickets.diskspace import DiskGuard
from ivr.tickets.journal import RESERVE_NAME, Journal
from ivr.tickets.models import CallRecord, Ticket
from ivr.tickets.types import CallRecordDraft, TicketDraft

T0 = datetime(2026, 11, 17, 2, 0, tzinfo=timezone.utc)
MB = 1024 * 1024


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Callable[[int], Path]]:
    """small_fs(mb) -> the mount point of a fresh tmpfs of that size (unmounted after)."""
    mounted: list[Path] = []

    def mount(size_mb: int) -> Path:
        point = tmp_path / f"fs{len(mounted)}"
        point.mkdir()
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs",
                               str(point)], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {proc.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def fill(directory: Path) -> int:
    """Write a filler file until the filesystem says ENOSPC; returns the bytes written."""
    written = 0
    chunk = b"\0" * 65536
    with open(directory / "filler", "ab", buffering=0) as fh:
        while True:
            try:
                written += fh.write(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    break
                chunk = chunk[: len(chunk) // 2]
    os.sync()
    return written


def draft(call_id: str) -> TicketDraft:
    return TicketDraft(call_id=call_id, category="complaint", opened_at=T0,
                       caller_number="13812345678", summary="投诉" * 200,
                       transcript="我要投诉" * 300)


def db_counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tickets = conn.scalar(select(func.count()).select_from(Ticket)) or 0
            calls = conn.scalar(select(func.count()).select_from(CallRecord)) or 0
    finally:
        engine.dispose()
    return int(tickets), int(calls)


def test_a_ticket_on_a_full_disk_is_journaled_and_replayed(small_fs, make_service) -> None:
    fs = small_fs(4)
    url = f"sqlite:///{fs / 'tickets.sqlite3'}"
    svc = make_service(url, fs / "data", number_key=TEST_KEY)
    assert (fs / "data" / RESERVE_NAME).exists()  # the journal's reserve is made at start
    assert fill(fs) > 0
    receipts = [svc.open_ticket(draft(f"full-{i}")) for i in range(5)]
    svc.record_call(CallRecordDraft(call_id="full-0", answered_at=T0, ended_at=T0,
                                    end_reason="normal", caller_number="13812345678",
                                    ticket_ids=[r.ticket_id for r in receipts]))
    assert all(r.ticket_id and r.short_id for r in receipts)  # the transfer gets its id
    (fs / "filler").unlink()
    svc.replay_journal()
    assert db_counts(url) == (5, 1)
    assert svc.journal.pending_count() == 0


def test_journal_reserve_takes_entries_when_the_disk_is_full(small_fs) -> None:
    fs = small_fs(2)
    journal = Journal(fs / "data")
    assert journal.ensure_reserve()
    fill(fs)
    journal.append("ticket", {"id": "a", "text": "x" * 20000})
    journal.append("ticket", {"id": "b", "text": "y" * 20000})
    assert journal.pending_count() == 2
    assert not (fs / "data" / RESERVE_NAME).exists()  # used up: the guard refuses calls now
    assert not journal.ensure_reserve()  # still full: no reserve can be made
    (fs / "filler").unlink()
    assert journal.ensure_reserve()


def test_reserve_is_only_made_whole(small_fs) -> None:
    fs = small_fs(1)
    fill(fs)
    journal = Journal(fs / "data")
    assert not journal.ensure_reserve()
    assert not (fs / "data" / RESERVE_NAME).exists()  # no half reserve left to be trusted


# The guard's threshold logic, with an injected free-space probe --------------------------------


class Probe:
    def __init__(self, free: int) -> None:
        self.free = free

    def __call__(self, path: Path) -> int:
        return self.free


def test_guard_refuses_below_the_threshold_and_recovers_with_margin(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    probe = Probe(500 * MB)
    journal = Journal(tmp_path / "data")
    guard = DiskGuard([tmp_path / "data"], journal, min_free_bytes=64 * MB, probe=probe)
    first = guard.check()
    assert first.ok and first.reason == ""
    probe.free = 63 * MB
    low = guard.check()
    assert not low.ok
    assert "63 MB free" in low.reason and "64 MB" in low.reason and str(tmp_path) in low.reason
    assert sum("refusing new calls" in r.message for r in caplog.records) == 1
    guard.check()  # still low: no second error line
    assert sum("refusing new calls" in r.message for r in caplog.records) == 1
    probe.free = 65 * MB  # above the threshold but inside the margin: still refusing
    assert not guard.check().ok
    probe.free = 200 * MB
    assert guard.check().ok
    assert any("taking calls again" in r.message for r in caplog.records)


def test_guard_refuses_while_the_journal_reserve_is_missing(small_fs) -> None:
    """The probe says there is room, the real disk is full: without its reserve the journal
    could not take a ticket, so the guard refuses calls anyway."""
    fs = small_fs(2)
    probe = Probe(500 * MB)
    journal = Journal(fs / "data")
    guard = DiskGuard([fs / "data"], journal, min_free_bytes=64 * MB, probe=probe)
    assert guard.check().ok
    fill(fs)
    journal.append("ticket", {"id": "a", "text": "x" * 20000})  # uses the reserve
    report = guard.check()
    assert not report.ok and "reserve" in report.reason
    (fs / "filler").unlink()
    assert guard.check().ok  # made again once possible


def test_guard_watches_the_fullest_of_its_paths(tmp_path: Path) -> None:
    free = {tmp_path / "a": 900 * MB, tmp_path / "b": 10 * MB}
    journal = Journal(tmp_path / "a")
    guard = DiskGuard(list(free), journal, min_free_bytes=64 * MB, probe=free.__getitem__)
    report = guard.check()
    assert not report.ok and str(tmp_path / "b") in report.reason


def test_guard_on_a_real_tmpfs(small_fs) -> None:
    fs = small_fs(4)
    journal = Journal(fs / "data")
    guard = DiskGuard([fs / "data"], journal, min_free_bytes=2 * MB)
    assert guard.check().ok
    fill(fs)
    assert not guard.check().ok
