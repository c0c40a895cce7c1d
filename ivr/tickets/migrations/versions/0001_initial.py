"""initial schema: tickets, ticket_events, call_records

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 (times are naive UTC, see ivr.tickets.models.UTCDateTime)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "call_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=200), nullable=False),
        sa.Column("caller_number_enc", sa.Text(), nullable=True),
        sa.Column("caller_number_hash", sa.String(length=64), nullable=True),
        sa.Column("caller_number_masked", sa.String(length=64), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=False),
        sa.Column("end_reason", sa.String(length=32), nullable=False),
        sa.Column("prompts_played", sa.JSON(), nullable=False),
        sa.Column("transfer_target", sa.String(length=200), nullable=True),
        sa.Column("silent_s", sa.Float(), nullable=False),
        sa.Column("low_volume_s", sa.Float(), nullable=False),
        sa.Column("noisy_s", sa.Float(), nullable=False),
        sa.Column("ticket_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_records")),
        sa.UniqueConstraint("call_id", name="uq_call_records_call_id"),
    )
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.create_index("ix_call_records_answered_at", ["answered_at"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("call_id", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("caller_title", sa.String(length=32), nullable=True),
        sa.Column("caller_surname", sa.String(length=64), nullable=True),
        sa.Column("caller_number_enc", sa.Text(), nullable=True),
        sa.Column("caller_number_hash", sa.String(length=64), nullable=True),
        sa.Column("caller_number_masked", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=False),
        sa.Column("recording_path", sa.Text(), nullable=True),
        sa.Column("recording_purged_at", sa.DateTime(), nullable=True),
        sa.Column("level_dbfs", sa.Float(), nullable=True),
        sa.Column("noise_dbfs", sa.Float(), nullable=True),
        sa.Column("snr_db", sa.Float(), nullable=True),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("promised_reply_by", sa.DateTime(), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(), nullable=True),
        sa.Column("replied_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("call_id", "category", name="uq_tickets_call_id_category"),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_caller_hash", ["caller_number_hash"], unique=False)
        batch_op.create_index("ix_tickets_opened_at", ["opened_at"], unique=False)
        batch_op.create_index(
            "ix_tickets_status_promised", ["status", "promised_reply_by"], unique=False
        )

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_events_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_events_ticket_id", ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_events_ticket_id")

    op.drop_table("ticket_events")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_status_promised")
        batch_op.drop_index("ix_tickets_opened_at")
        batch_op.drop_index("ix_tickets_caller_hash")

    op.drop_table("tickets")
    with op.batch_alter_table("call_records", schema=None) as batch_op:
        batch_op.drop_index("ix_call_records_answered_at")

    op.drop_table("call_records")
