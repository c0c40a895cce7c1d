"""call records carry the SIP Call-ID and the worker id (issue 14: CDRs an operator can join)

The absolute start time was already there (answered_at, UTC). Old rows keep NULL in both.

Revision ID: 0005_cdr
Revises: 0004_console
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_cdr"
down_revision: str | None = "0004_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("call_records", sa.Column("sip_call_id", sa.String(length=200), nullable=True))
    op.add_column("call_records", sa.Column("worker_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_records") as batch:
        batch.drop_column("worker_id")
        batch.drop_column("sip_call_id")
