"""The disk guard: refuse new calls while a ticket could not be written.

A call may end in a ticket, and a ticket is written to the database or, when that fails, to the
journal. On a full disk both fail, so the agent stops taking calls (503) *before* that point:
when the free space of any watched directory (data directory, database directory) drops below
`min_free_bytes`, or the journal's reserve (ivr.tickets.journal) is missing and cannot be made
again. It takes calls again once the space is back above the threshold plus a margin (so a disk
hovering at the threshold does not flap). Each change is one log line; `/health` shows the reason.

The free-space probe is injected, so the threshold logic is tested without filling a disk.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import db as dbmod
from .journal import RESERVE_BYTES, Journal

log = logging.getLogger(__name__)

MB = 1024 * 1024
DEFAULT_MIN_FREE_BYTES = 64 * MB
DEFAULT_CHECK_INTERVAL_S = 5.0
MARGIN_FRACTION = 0.5  # take calls again at threshold * 1.5


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged writer can still use on the filesystem holding `path`."""
    st = os.statvfs(_existing(path))
    return int(st.f_bavail) * int(st.f_frsize)


def _existing(path: Path) -> Path:
    """The path, or its nearest existing parent (a database file not created yet)."""
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


@dataclass(frozen=True)
class SpaceReport:
    ok: bool
    free_bytes: int  # on the fullest watched path
    path: Path  # that path
    reason: str  # "" when ok; one line for /health and the log


class DiskGuard:
    """Watches directories and the journal reserve; check() says whether calls may be taken."""

    def __init__(
        self,
        paths: Iterable[Path],
        journal: Journal,
        *,
        min_free_bytes: int = DEFAULT_MIN_FREE_BYTES,
        check_interval_s: float = DEFAULT_CHECK_INTERVAL_S,
        probe: Callable[[Path], int] = free_bytes,
    ) -> None:
        self.paths = list(dict.fromkeys(Path(p) for p in paths))
        if not self.paths:
            raise ValueError("the disk guard needs at least one directory to watch")
        self.journal = journal
        self.min_free_bytes = max(int(min_free_bytes), RESERVE_BYTES)
        self.resume_free_bytes = int(self.min_free_bytes * (1 + MARGIN_FRACTION))
        self.check_interval_s = check_interval_s
        self._probe = probe
        self._lock = threading.Lock()
        self._refusing = False
        self.last: SpaceReport | None = None

    def check(self) -> SpaceReport:
        """Measure now; logs a line when the verdict changes."""
        with self._lock:
            report = self._measure()
            if not report.ok and not self._refusing:
                log.error("disk: %s: refusing new calls (503) until there is room", report.reason)
            elif report.ok and self._refusing:
                log.info(
                    "disk: %d MB free on %s again: taking calls again",
                    report.free_bytes // MB,
                    report.path,
                )
            self._refusing = not report.ok
            self.last = report
            return report

    def _measure(self) -> SpaceReport:
        free, path = min((self._free(p), p) for p in self.paths)
        needed = self.resume_free_bytes if self._refusing else self.min_free_bytes
        if free < needed:
            return SpaceReport(
                False,
                free,
                path,
                f"{free // MB} MB free on {path}, below {needed // MB} MB"
                + (" (threshold + margin)" if self._refusing else ""),
            )
        if not self.journal.ensure_reserve():
            return SpaceReport(
                False,
                free,
                path,
                f"the ticket journal's {RESERVE_BYTES // MB} MB reserve in "
                f"{self.journal.directory} is used up and cannot be made again",
            )
        return SpaceReport(True, free, path, "")

    def _free(self, path: Path) -> int:
        try:
            return int(self._probe(path))
        except OSError as exc:
            log.warning("disk: free space of %s not readable: %s", path, exc)
            return 0


def guard_for(service: Any, **kwargs: Any) -> DiskGuard:
    """The guard of a TicketService: its data directory (journal, and the agent's recordings
    and timelines beside it) and, for SQLite, the database file's directory."""
    paths = [service.data_dir]
    db_file = dbmod.sqlite_file(service.url)
    if db_file is not None:
        paths.append(db_file.parent)
    return DiskGuard(paths, service.journal, **kwargs)


def writable_dir_problem(path: Path) -> str | None:
    """None when `path` is (or can be made) a directory this process can write files in; else
    one line saying why not (read-only filesystem, permissions, a file in the way)."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        probe = p / f".ivr-write-test-{os.getpid()}"
        with open(probe, "wb") as fh:
            fh.write(b"ok")
            os.fsync(fh.fileno())
        probe.unlink()
    except OSError as exc:
        where = exc.filename or p
        return f"data directory {p} is not writable ({exc.strerror or exc}: {where})"
    return None
