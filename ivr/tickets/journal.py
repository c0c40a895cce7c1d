"""Append-only, fsync'd JSON-lines journal: where a ticket waits while the database is down.

One entry per line: {"v": 1, "kind": "ticket" | "call" | "satisfaction" | "contact_number" |
"transcript", "data": {...}}.
Entries hold no raw caller number (only ciphertext, hash and mask), like the database, and with
the key no plain surname or transcript either (sealed by the service, ivr.tickets.privacy).

Writers (threads and processes) append under an exclusive flock on `journal.lock`, one
os.write per line, then fsync. A writer killed mid-line leaves a torn last line: the next
append first ends it with a newline, so a torn line never swallows a good one, and the replay
reports it (counted in `ReplayStats.torn`, copied to `journal.rejected`) instead of crashing.

Replay takes the whole journal aside (rename to `journal.replaying-<pid>-<n>.jsonl`, held with
an flock while being worked), applies each entry idempotently, re-appends the ones the database
still refuses, and deletes the taken file. A replayer killed midway leaves its taken file
unlocked; the next replay picks it up. Entries are idempotent, so applying one twice is harmless.

A full disk must not lose a ticket either: the journal keeps `journal.reserve`, a file of
RESERVE_BYTES (real blocks, not sparse). An append that meets ENOSPC deletes it and writes again,
so the calls in progress when the disk fills still get their tickets journaled; the disk guard
(ivr.tickets.diskspace) refuses new calls while the reserve is gone and makes it again when
there is room.
"""

from __future__ import annotations

import errno
import fcntl
import itertools
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

JOURNAL_NAME = "journal.jsonl"
LOCK_NAME = "journal.lock"
REJECTED_NAME = "journal.rejected"
TAKEN_PREFIX = "journal.replaying-"
RESERVE_NAME = "journal.reserve"
# About 100 tickets with long transcripts (an entry is a few kB): the calls in progress when
# the disk fills up, and the ones the guard lets through before its next check.
RESERVE_BYTES = 1024 * 1024
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
FORMAT_VERSION = 1
KINDS = ("ticket", "call", "satisfaction", "contact_number", "transcript")

_counter = itertools.count()


class RejectEntry(Exception):
    """Raised by a replay's apply() for an entry the database will never take (bad data):
    the line is moved to journal.rejected and reported instead of blocking the rest."""


@dataclass
class ReplayStats:
    applied: int = 0  # entries now in the database (new or already there)
    kept: int = 0  # entries the database still refused, back in the journal
    torn: int = 0  # unreadable lines (a writer killed mid-line), copied to journal.rejected
    rejected: int = 0  # readable entries the database refuses for their data, ditto


class Journal:
    """The journal directory's files; safe for threads and processes."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / JOURNAL_NAME
        self._lock_path = self.directory / LOCK_NAME
        self.reserve_path = self.directory / RESERVE_NAME
        self._thread_lock = threading.Lock()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock, open(self._lock_path, "a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def append(self, kind: str, data: dict[str, Any]) -> None:
        """Write one entry durably (returns after fsync)."""
        if kind not in KINDS:
            raise ValueError(f"journal entry kind {kind!r} is not one of {KINDS}")
        line = json.dumps(
            {"v": FORMAT_VERSION, "kind": kind, "data": data},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        self._append_lines([line])

    def _append_lines(self, lines: list[str]) -> None:
        payload = "".join(line + "\n" for line in lines).encode()
        with self._locked():
            try:
                self._write(payload)
            except OSError as exc:
                if exc.errno not in _DISK_FULL or not self._release_reserve():
                    raise
                # The failed write may have left part of the line: _write ends it first, and
                # the replay sets the fragment aside as torn; the whole entry follows it.
                self._write(payload)
        _fsync_dir(self.directory)

    def _write(self, payload: bytes) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size and _last_byte(self.path, size) != b"\n":
                payload = b"\n" + payload  # end a torn line left by a killed writer
            _write_all(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)

    def _release_reserve(self) -> bool:
        """Give the reserve's blocks to the journal (under the lock); False when none left."""
        try:
            self.reserve_path.unlink()
        except FileNotFoundError:
            log.error("disk full and the journal reserve is used up: this entry is NOT written")
            return False
        log.error(
            "disk full in %s: released the journal reserve to journal this entry; new calls "
            "are refused until there is room again",
            self.directory,
        )
        return True

    @property
    def has_reserve(self) -> bool:
        try:
            return self.reserve_path.stat().st_size >= RESERVE_BYTES
        except FileNotFoundError:
            return False

    def ensure_reserve(self) -> bool:
        """Make the reserve file if it is missing; False when the disk has no room for it (a
        partial reserve is removed: only a whole one is trusted)."""
        if self.has_reserve:
            return True
        partial = self.directory / (RESERVE_NAME + ".new")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                block = b"\0" * 65536  # written, not fallocated: a sparse file reserves nothing
                for _ in range(RESERVE_BYTES // len(block)):
                    _write_all(fd, block)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(partial, self.reserve_path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            if exc.errno not in _DISK_FULL:
                log.warning("journal reserve not made in %s: %s", self.directory, exc)
            return False
        _fsync_dir(self.directory)
        return True

    def pending_count(self) -> int:
        """Entry lines waiting (journal plus any taken-but-unfinished files)."""
        total = 0
        for path in [self.path, *self.directory.glob(TAKEN_PREFIX + "*.jsonl")]:
            try:
                with open(path, "rb") as fh:
                    total += sum(1 for line in fh if line.strip())
            except FileNotFoundError:
                continue
        return total

    def replay(self, apply: Callable[[str, dict[str, Any]], bool]) -> ReplayStats:
        """Feed every entry to `apply(kind, data)`; it returns True when the entry is in the
        database (inserted or already there) and False to keep it for a later replay."""
        stats = ReplayStats()
        for taken in self._take():
            self._replay_file(taken, apply, stats)
        if stats.applied or stats.kept or stats.torn or stats.rejected:
            log.info(
                "journal replay: %d applied, %d kept for later, %d torn, %d rejected",
                stats.applied,
                stats.kept,
                stats.torn,
                stats.rejected,
            )
        return stats

    def _take(self) -> list[Path]:
        """Move the live journal aside and collect orphaned taken files (dead replayers)."""
        with self._locked():
            if self.path.exists() and self.path.stat().st_size > 0:
                taken = self.directory / f"{TAKEN_PREFIX}{os.getpid()}-{next(_counter)}.jsonl"
                os.rename(self.path, taken)
                _fsync_dir(self.directory)
        return sorted(self.directory.glob(TAKEN_PREFIX + "*.jsonl"))

    def _replay_file(
        self, path: Path, apply: Callable[[str, dict[str, Any]], bool], stats: ReplayStats
    ) -> None:
        try:
            fh = open(path, "rb")
        except FileNotFoundError:
            return  # another replayer finished it
        with fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # a live replayer is working on it
            if not path.exists():
                return  # finished and removed between our open and lock
            keep: list[str] = []
            for lineno, raw in enumerate(fh.read().split(b"\n"), start=1):
                if not raw.strip():
                    continue
                entry = _parse(raw)
                if entry is None:
                    stats.torn += 1
                    log.warning(
                        "journal %s line %d is torn or unreadable (%d bytes); copied to %s",
                        path.name,
                        lineno,
                        len(raw),
                        REJECTED_NAME,
                    )
                    self._reject(raw)
                    continue
                kind, data = entry
                try:
                    ok = apply(kind, data)
                except RejectEntry as exc:
                    stats.rejected += 1
                    log.error(
                        "journal %s line %d (%s) refused by the database: %s; copied to %s",
                        path.name,
                        lineno,
                        kind,
                        exc,
                        REJECTED_NAME,
                    )
                    self._reject(raw)
                    continue
                if ok:
                    stats.applied += 1
                else:
                    stats.kept += 1
                    keep.append(raw.decode())
            if keep:
                self._append_lines(keep)
            path.unlink()
            _fsync_dir(self.directory)

    def _reject(self, raw: bytes) -> None:
        with self._locked(), open(self.directory / REJECTED_NAME, "ab") as out:
            out.write(raw + b"\n")
            out.flush()
            os.fsync(out.fileno())


def _parse(raw: bytes) -> tuple[str, dict[str, Any]] | None:
    try:
        entry = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if (
        not isinstance(entry, dict)
        or entry.get("kind") not in KINDS
        or not isinstance(entry.get("data"), dict)
    ):
        return None
    return entry["kind"], entry["data"]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _last_byte(path: Path, size: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(size - 1)
        return fh.read(1)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
