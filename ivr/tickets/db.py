"""Engines and schema upgrades.

SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE transactions, so many threads and processes
can write one file without "database is locked" errors on lock upgrade. PostgreSQL gets a short
connect timeout and pre-ping, so an outage is noticed fast and the ticket goes to the journal.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

T = TypeVar("T")
log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000  # people at the CLI, migrations, the journal replay
# Writes and look-ups made for a caller on the line: a lock held longer than this (an admin's
# open transaction) sends the ticket to the journal at once instead of 30 s of silence.
CALL_BUSY_TIMEOUT_MS = 1_000
PG_CONNECT_TIMEOUT_S = 3
DEFAULT_DB_FILENAME = "tickets.sqlite3"


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{(Path(data_dir) / DEFAULT_DB_FILENAME).resolve()}"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def missing_sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL when it does not exist yet (None: it exists, or not SQLite)."""
    path = sqlite_file(url)
    return None if path is None or path.exists() else path


class DatabaseUrlError(ValueError):
    """A database URL that is malformed or points where no database should be made; the
    message names the URL (password hidden) and the form that was probably meant."""


SQLITE_FORMS = "sqlite:////absolute/path/tickets.db (4 slashes) or sqlite:///relative/path.db"
KNOWN_BACKENDS = ("sqlite", "postgresql")


def check_url(url: str, create_dir: Path | None = None) -> None:
    """Refuse a URL that would silently open the wrong database: unparseable, an SQLite URL
    with a host part (SQLAlchemy would open an in-memory database, lost at exit) or without a
    file, an unknown backend, or an SQLite file whose directory does not exist (a typo would
    otherwise create a new, empty register). `create_dir` is the one directory that may be
    created (the data directory, home of the default database)."""
    try:
        parsed = make_url(url)
    except Exception:  # ArgumentError, ValueError: nothing of the text is a URL
        raise DatabaseUrlError(
            f"database URL {_shown(url)!r} is not a URL; an SQLite file is {SQLITE_FORMS}"
        ) from None
    backend = parsed.get_backend_name()
    shown = redacted_url(url)
    if backend == "postgres":
        raise DatabaseUrlError(
            f"database URL {shown!r}: write postgresql+psycopg://user@host/db (postgres:// "
            "is not a backend name SQLAlchemy knows)"
        )
    if backend not in KNOWN_BACKENDS:
        raise DatabaseUrlError(
            f"database URL {shown!r}: unknown backend {backend!r}; use {SQLITE_FORMS} or "
            "postgresql+psycopg://user@host/db"
        )
    if backend != "sqlite":
        return
    if parsed.host:
        raise DatabaseUrlError(
            f"database URL {shown!r} has a host part {parsed.host!r} (SQLAlchemy would open a "
            f"database in memory, lost at exit): did you mean sqlite:///{parsed.host}"
            f"{'/' + parsed.database if parsed.database else ''}? Forms: {SQLITE_FORMS}"
        )
    if not parsed.database:
        raise DatabaseUrlError(
            f"database URL {shown!r} names no database file (it would live in memory, lost at "
            f"exit); use {SQLITE_FORMS}"
        )
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return
    directory = Path(parsed.database).parent
    if create_dir is not None and directory.resolve() == Path(create_dir).resolve():
        directory.mkdir(parents=True, exist_ok=True)
    if not directory.is_dir():
        raise DatabaseUrlError(
            f"database URL {shown!r}: directory {directory} does not exist (a typo? a new "
            "database is only created in an existing directory): create it or fix the URL"
        )


def _shown(url: str) -> str:
    """Unparseable text, cut short and without anything after an @ (a password may be in it)."""
    text = url.strip()
    if "@" in text:
        text = text.split("://", 1)[0] + "://***@" + text.rsplit("@", 1)[1]
    return text[:120]


def sqlite_file(url: str) -> Path | None:
    """The database file of an SQLite URL; None for other backends, in-memory SQLite and
    text that is not a URL."""
    try:
        parsed = make_url(url)
    except Exception:  # not a URL: no file either
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def make_engine(
    url: str,
    pool_size: int = 10,
    create_dir: Path | None = None,
    busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS,
) -> Engine:
    """An engine tuned for the register's workload (many small write transactions). The URL
    is checked first (check_url): a typo never opens a new, empty database."""
    check_url(url, create_dir)
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = create_engine(
            url,
            connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        )
        _tune_sqlite(engine, busy_timeout_ms)
        return engine
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "pool_size": pool_size, "max_overflow": 10}
    if backend == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": PG_CONNECT_TIMEOUT_S}
    return create_engine(url, **kwargs)


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN IMMEDIATE below is ours.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the lock at BEGIN, waiting up to busy_timeout, instead of failing at
        # the read->write upgrade (which SQLite refuses immediately with "database is locked").
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise upgrades of one SQLite file across processes (Alembic's SQLite DDL is not
    transactional, so two first starts at once could both try to create the tables)."""
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate-lock")
    with open(lock_path, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade the schema; returns (revision before, revision after)."""
    with _migration_lock(engine):
        before = current_revision(engine)
        if before != head_revision() or revision != "head":
            cfg = alembic_config()
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
        after = current_revision(engine)
    if before != after:
        log.info("ticket database upgraded from %s to %s", before or "empty", after)
    return before, after


def redacted_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def unavailable_as_error(fn: Callable[[], T], url: str) -> T:
    """Run `fn`; a database error becomes DatabaseUnavailable naming the (redacted) URL."""
    from .types import DatabaseUnavailable

    try:
        return fn()
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None) or exc
        first = (str(orig).strip().splitlines() or [""])[0]
        raise DatabaseUnavailable(
            f"ticket database {redacted_url(url)} is not available: {first}"
        ) from exc
