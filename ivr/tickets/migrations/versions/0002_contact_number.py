"""callback contact number on tickets, encrypted like the caller number (issue 13/17)

Seed 001 特殊沟通内容 11: "请您留下您的联系电话" — the number the caller confirmed for the
callback. Only ciphertext and the mask are stored (no look-up hash: nobody searches by it).

Revision ID: 0002_contact
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_contact"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("contact_number_enc", sa.Text(), nullable=True))
    op.add_column("tickets", sa.Column("contact_number_masked", sa.String(length=64),
                                       nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("contact_number_masked")
        batch.drop_column("contact_number_enc")
