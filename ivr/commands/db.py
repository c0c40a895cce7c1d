"""`ivr db upgrade|current`: the ticket database schema (Alembic migrations in the package)."""

from __future__ import annotations

import argparse

from ivr.tickets.cli_support import EXIT_OK, MissingDatabase, guarded, load


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "db",
        help="ticket database schema: upgrade, current revision",
        description="The embedded SQLite database is upgraded automatically when the agent "
        "starts; a PostgreSQL database is upgraded with `ivr db upgrade`.",
    )
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    for name, help_text, func in (
        ("upgrade", "upgrade the schema to the newest revision", run_upgrade),
        ("current", "print the schema revision and the newest one", run_current),
    ):
        p = sub.add_parser(name, help=help_text, description=help_text)
        # The old spelling of the global --db (ivr.cli), kept working.
        p.add_argument("--url", metavar="URL", help=argparse.SUPPRESS)
        p.set_defaults(func=func)


def _engine(args: argparse.Namespace, *, read_only: bool = False):  # type: ignore[no-untyped-def]
    from ivr.tickets import db

    settings = load(args)
    url = args.url or settings.database_url
    missing = db.missing_sqlite_file(url)
    if read_only and missing is not None:
        raise MissingDatabase(f"no ticket database at {missing}; nothing was created")
    # the data directory (home of the default SQLite file) may be made; no other directory
    return db, db.make_engine(url, create_dir=settings.data_dir), url


@guarded
def run_upgrade(args: argparse.Namespace) -> int:
    db, engine, url = _engine(args)
    try:
        before, after = _wrap(lambda: db.upgrade(engine), url)
    finally:
        engine.dispose()
    if before == after:
        print(f"{db.redacted_url(url)}: already at {after}")
    else:
        print(f"{db.redacted_url(url)}: upgraded {before or 'empty'} -> {after}")
    return EXIT_OK


@guarded
def run_current(args: argparse.Namespace) -> int:
    db, engine, url = _engine(args, read_only=True)
    try:
        current = _wrap(lambda: db.current_revision(engine), url)
    finally:
        engine.dispose()
    head = db.head_revision()
    state = "up to date" if current == head else "needs `ivr db upgrade`"
    print(f"{db.redacted_url(url)}: revision {current or 'empty'} (newest {head}, {state})")
    return EXIT_OK


def _wrap(fn, url):  # type: ignore[no-untyped-def]
    from ivr.tickets import db

    return db.unavailable_as_error(fn, url)
