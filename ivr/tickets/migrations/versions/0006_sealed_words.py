"""the caller's surname is sealed with the key like the transcript (issue 13): widen it to Text

A Fernet token of a two-character surname is about 130 characters, more than the old
VARCHAR(64). The transcript already was Text. Existing rows keep their clear text (readers take
both).

SQLite does not enforce VARCHAR lengths, but the declared type must match the models. Alembic's
batch mode would rebuild the table: that drops the triggers of migration 0003, and with
foreign_keys=ON the DROP TABLE cascades to ticket_events (the audit trail). Both types have TEXT
affinity, so only the declared type in sqlite_master is rewritten (writable_schema, the schema
cookie bumped so open connections reload it); the stored rows are untouched.

Revision ID: 0006_sealed
Revises: 0005_cdr
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_sealed"
down_revision: str | None = "0005_cdr"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OLD = "caller_surname VARCHAR(64)"
NEW = "caller_surname TEXT"


def _sqlite_declared_type(before: str, after: str) -> None:
    conn = op.get_bind()
    version = conn.exec_driver_sql("PRAGMA schema_version").scalar_one()
    conn.exec_driver_sql("PRAGMA writable_schema=ON")
    conn.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' "
        "AND name = 'tickets'", (before, after))
    conn.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    conn.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_declared_type(OLD, NEW)
        return
    op.alter_column("tickets", "caller_surname", type_=sa.Text(),
                    existing_type=sa.String(length=64), existing_nullable=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_declared_type(NEW, OLD)
        return
    # a sealed surname does not fit VARCHAR(64) again: cut (clear rows are short anyway)
    op.alter_column("tickets", "caller_surname", type_=sa.String(length=64),
                    existing_type=sa.Text(), existing_nullable=True,
                    postgresql_using="left(caller_surname, 64)")
