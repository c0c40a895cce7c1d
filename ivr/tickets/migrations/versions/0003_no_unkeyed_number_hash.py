"""a caller-number hash only beside ciphertext (issue 11 item 5)

Rows written without IVR_NUMBER_KEY held the masked number and an HMAC keyed by the
`number-pepper` file in the data directory: brute force over the 4 hidden digits gave the number
back. Those hashes are dropped, and the database refuses a hash without ciphertext from now on
(the key that makes a hash also makes the ciphertext, and lives outside the data directory).

PostgreSQL gets a CHECK constraint. SQLite gets triggers instead: adding a CHECK there means
rebuilding `tickets`, and dropping the old table with foreign keys on would cascade-delete every
ticket event.

Revision ID: 0003
Revises: 0002_contact
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002_contact"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("tickets", "call_records")
RULE = "caller_number_hash IS NULL OR caller_number_enc IS NOT NULL"
ROW_RULE = "NEW.caller_number_hash IS NULL OR NEW.caller_number_enc IS NOT NULL"
MESSAGE = "caller_number_hash needs caller_number_enc (a hash without the key is refused)"


def _constraint(table: str) -> str:
    return f"ck_{table}_hash_needs_ciphertext"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        op.execute(
            sa.text(f"UPDATE {table} SET caller_number_hash = NULL "
                    "WHERE caller_number_enc IS NULL AND caller_number_hash IS NOT NULL")
        )
        if not sqlite:
            op.create_check_constraint(op.f(_constraint(table)), table, sa.text(RULE))
            continue
        for when in ("INSERT", "UPDATE"):
            op.execute(
                sa.text(
                    f"CREATE TRIGGER {_constraint(table)}_{when.lower()} BEFORE {when} ON {table} "
                    f"WHEN NOT ({ROW_RULE}) "
                    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
                )
            )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        if not sqlite:
            op.drop_constraint(op.f(_constraint(table)), table, type_="check")
            continue
        for when in ("insert", "update"):
            op.execute(sa.text(f"DROP TRIGGER IF EXISTS {_constraint(table)}_{when}"))
