"""first_response_at on tickets: the first reply, apart from the resolution (issue 13)

Seed 003 服务响应与处理时效要求: "确保在第一个工作小时内给予初步回应" — measured from opened_at to
first_response_at; resolved_at stays the resolution.

Revision ID: 0004_first_response
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_first_response"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("first_response_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("first_response_at")
