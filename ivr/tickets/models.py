"""SQLAlchemy 2 models: Ticket, TicketEvent (audit trail), CallRecord.

Times are stored as naive UTC (UTCDateTime) so SQLite and PostgreSQL compare them the same way;
they come back timezone-aware (UTC). Caller numbers exist only as ciphertext, keyed hash and mask;
a hash stands only beside ciphertext (migration 0003 enforces it: CHECK on PostgreSQL, triggers
on SQLite).
The schema itself is owned by the Alembic migrations in ./migrations; keep the two in step.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, naive UTC in the column, aware UTC out."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("call_id", "category", name="uq_tickets_call_id_category"),
        Index("ix_tickets_status_promised", "status", "promised_reply_by"),
        Index("ix_tickets_opened_at", "opened_at"),
        Index("ix_tickets_caller_hash", "caller_number_hash"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16), default="normal")
    status: Mapped[str] = mapped_column(String(16), default="new")
    caller_title: Mapped[str | None] = mapped_column(String(32))
    # Surname and transcript: sealed (`fernet:<token>`) with the key, clear without (privacy.py).
    caller_surname: Mapped[str | None] = mapped_column(Text)
    caller_number_enc: Mapped[str | None] = mapped_column(Text)
    caller_number_hash: Mapped[str | None] = mapped_column(String(64))
    caller_number_masked: Mapped[str | None] = mapped_column(String(64))
    # The callback number the caller confirmed (rules/contact_number.py): ciphertext and mask.
    contact_number_enc: Mapped[str | None] = mapped_column(Text)
    contact_number_masked: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[str] = mapped_column(Text, default="")
    recording_path: Mapped[str | None] = mapped_column(Text)
    recording_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    level_dbfs: Mapped[float | None] = mapped_column(Float)
    noise_dbfs: Mapped[float | None] = mapped_column(Float)
    snr_db: Mapped[float | None] = mapped_column(Float)
    department: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    promised_reply_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )


class TicketEvent(Base):
    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class CallRecord(Base):
    __tablename__ = "call_records"
    __table_args__ = (
        UniqueConstraint("call_id", name="uq_call_records_call_id"),
        Index("ix_call_records_answered_at", "answered_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(200))
    caller_number_enc: Mapped[str | None] = mapped_column(Text)
    caller_number_hash: Mapped[str | None] = mapped_column(String(64))
    caller_number_masked: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_reason: Mapped[str] = mapped_column(String(32))
    prompts_played: Mapped[list[str]] = mapped_column(JSON, default=list)
    transfer_target: Mapped[str | None] = mapped_column(String(200))
    silent_s: Mapped[float] = mapped_column(Float, default=0.0)
    low_volume_s: Mapped[float] = mapped_column(Float, default=0.0)
    noisy_s: Mapped[float] = mapped_column(Float, default=0.0)
    ticket_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    sip_call_id: Mapped[str | None] = mapped_column(String(200))
    worker_id: Mapped[int | None] = mapped_column(Integer)


# The console's tables share this metadata (one schema, one migration chain); imported here so
# Base.metadata is complete wherever the models are loaded (Alembic, the schema test).
from . import console_models  # noqa: E402, F401
