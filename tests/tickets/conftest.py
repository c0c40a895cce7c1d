"""Fixtures for the ticket register tests: the same tests on SQLite and on PostgreSQL.

PostgreSQL comes from scripts/test-postgres (scripts/run-tests exports IVR_TEST_PG_URL). Each
PostgreSQL test gets its own fresh database, dropped afterwards. Without the URL the postgres
cases skip, unless IVR_TEST_REQUIRE_PG=1, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from ticket_helpers import TEST_KEY

from ivr.tickets.service import TicketService


def pg_base_url() -> str:
    url = os.environ.get("IVR_TEST_PG_URL")
    if not url:
        if os.environ.get("IVR_TEST_REQUIRE_PG") == "1":
            pytest.fail("IVR_TEST_REQUIRE_PG=1 but IVR_TEST_PG_URL is not set (scripts/run-tests)")
        pytest.skip("no PostgreSQL: run scripts/test-postgres start and export IVR_TEST_PG_URL")
    return url


def _psycopg_dsn(url: str) -> str:
    u = make_url(url)
    return (
        f"host={u.host} port={u.port or 5432} user={u.username} "
        f"password={u.password or ''} dbname={u.database}"
    )


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    base = pg_base_url()
    name = f"ivr_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_psycopg_dsn(base), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with psycopg.connect(_psycopg_dsn(base), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on an SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        (tmp_path / "db").mkdir(exist_ok=True)  # a database is only created in an existing dir
        return f"sqlite:///{tmp_path / 'db' / 'tickets.sqlite3'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def make_service(tmp_path: Path) -> Iterator[Callable[..., TicketService]]:
    """Factory of started services (schema upgraded); all are shut down after the test."""
    made: list[TicketService] = []

    def factory(url: str, data_dir: Path | None = None, **kwargs: object) -> TicketService:
        kwargs.setdefault("number_key", TEST_KEY)
        kwargs.setdefault("auto_upgrade", True)
        svc = TicketService(url, data_dir or tmp_path / "data", **kwargs)  # type: ignore[arg-type]
        made.append(svc)
        return svc.start()

    yield factory
    for svc in made:
        svc.shutdown()
