"""Plain value types of the ticket register: what the session hands in and gets back.

No SQLAlchemy here, so the session, the policy and tests can import these without a database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# The register's closed sets are the shared vocabulary's (re-exported: ivr.tickets.types.X).
from ivr.vocabulary import CATEGORIES as CATEGORIES
from ivr.vocabulary import END_REASONS as END_REASONS
from ivr.vocabulary import SEVERITIES as SEVERITIES
from ivr.vocabulary import STATUSES as STATUSES

# uuid5 namespace: a ticket's id is derived from (call_id, category), so the same draft always
# gets the same id, whether it went straight to the database or through the journal.
TICKET_NAMESPACE = uuid.UUID("8d6f3a52-3c1e-4d55-9a51-6f0c2f7be001")


class TicketError(Exception):
    """Base of the errors the register raises for bad requests (never for an outage)."""


class InvalidDraft(TicketError, ValueError):
    """A draft field is out of its allowed set or range."""


class TicketNotFound(TicketError, LookupError):
    """No ticket matches an id or id prefix (or the prefix is ambiguous)."""


class IllegalTransition(TicketError):
    """A lifecycle move that the state machine does not allow."""

    def __init__(self, ticket_short_id: str, from_status: str, to_status: str, action: str):
        self.ticket_short_id = ticket_short_id
        self.from_status = from_status
        self.to_status = to_status
        self.action = action
        super().__init__(
            f"ticket {ticket_short_id}: cannot {action} (from '{from_status}' to "
            f"'{to_status}' is not allowed)"
        )


class DatabaseUnavailable(TicketError):
    """The database could not be reached for a read or a lifecycle change (nothing journaled)."""


def ticket_uuid(call_id: str, category: str) -> str:
    """The deterministic id of the ticket for (call_id, category): idempotency by construction."""
    return str(uuid.uuid5(TICKET_NAMESPACE, f"{call_id}\x1f{category}"))


REFERENCE_DIGITS = 10


def reference_number(ticket_id: str) -> str:
    """The reference a caller can write down and read back: 10 decimal digits derived from the
    ticket's uuid (stable: the same ticket always has the same reference; issue 13: not hex)."""
    value = int(ticket_id.replace("-", ""), 16)
    return str(value % 10**REFERENCE_DIGITS).zfill(REFERENCE_DIGITS)


def short_id(ticket_id: str) -> str:
    """The first 8 hex digits of a ticket uuid: what people read and type."""
    return ticket_id.replace("-", "")[:8]


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise InvalidDraft(f"{name} must be a timezone-aware datetime, got naive {value!r}")


@dataclass(frozen=True)
class TicketDraft:
    """What the session knows when it decides to register a ticket."""

    call_id: str
    category: str
    opened_at: datetime
    severity: str = "normal"
    caller_number: str | None = None
    caller_title: str | None = None  # 先生 / 女士 / 小姐 ...
    caller_surname: str | None = None
    summary: str = ""
    transcript: str = ""
    recording_path: str | None = None
    level_dbfs: float | None = None
    noise_dbfs: float | None = None
    snr_db: float | None = None
    department: str | None = None
    notes: str = ""

    def validate(self) -> None:
        """Raise InvalidDraft naming the field, the value and what is allowed. Over-long short
        fields (title, surname, department) are cut to fit rather than refused: a call's ticket
        is never lost for them."""
        if not self.call_id or len(self.call_id) > 200:
            raise InvalidDraft(f"call_id must be 1..200 characters, got {self.call_id!r}")
        if self.category not in CATEGORIES:
            raise InvalidDraft(f"category {self.category!r} is not one of {', '.join(CATEGORIES)}")
        if self.severity not in SEVERITIES:
            raise InvalidDraft(f"severity {self.severity!r} is not one of {', '.join(SEVERITIES)}")
        _require_aware("opened_at", self.opened_at)


@dataclass(frozen=True)
class CallRecordDraft:
    """One row per call, for the monthly report (calls by end reason, verdict time)."""

    call_id: str
    answered_at: datetime
    ended_at: datetime
    end_reason: str
    caller_number: str | None = None
    prompts_played: tuple[str, ...] = ()
    transfer_target: str | None = None
    silent_s: float = 0.0
    low_volume_s: float = 0.0
    noisy_s: float = 0.0
    ticket_ids: tuple[str, ...] = ()
    sip_call_id: str | None = None  # the INVITE's Call-ID (CDR join key)
    worker_id: int = 0  # the `--workers` process that took the call; 0 = a single agent

    def validate(self) -> None:
        if not self.call_id or len(self.call_id) > 200:
            raise InvalidDraft(f"call_id must be 1..200 characters, got {self.call_id!r}")
        if self.end_reason not in END_REASONS:
            raise InvalidDraft(
                f"end_reason {self.end_reason!r} is not one of {', '.join(END_REASONS)}"
            )
        _require_aware("answered_at", self.answered_at)
        _require_aware("ended_at", self.ended_at)
        for name in ("silent_s", "low_volume_s", "noisy_s"):
            if getattr(self, name) < 0:
                raise InvalidDraft(f"{name} must be >= 0, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class TicketReceipt:
    """What open_ticket answers: the id to tell the caller / attach to a transfer."""

    ticket_id: str
    short_id: str
    promised_reply_by: datetime | None
    journaled: bool = False  # True: the database was down, the ticket waits in the journal
    created: bool = True  # False: a ticket for this (call_id, category) already existed


@dataclass(frozen=True)
class TicketEventView:
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str
    note: str


@dataclass(frozen=True)
class TicketView:
    """A ticket as read back; caller_number is masked unless revealed with the key."""

    id: str
    short_id: str
    call_id: str
    category: str
    severity: str
    status: str
    caller_number: str | None
    caller_title: str | None
    caller_surname: str | None
    summary: str
    transcript: str
    recording_path: str | None
    level_dbfs: float | None
    noise_dbfs: float | None
    snr_db: float | None
    department: str | None
    notes: str
    opened_at: datetime
    promised_reply_by: datetime | None
    replied_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    satisfaction: int | None
    events: tuple[TicketEventView, ...] = field(default_factory=tuple)
    contact_number: str | None = None  # the callback number the caller confirmed; masked too

    def overdue(self, now: datetime) -> bool:
        return (
            self.status in ("new", "dispatched")
            and self.promised_reply_by is not None
            and self.promised_reply_by < now
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (datetimes as ISO 8601) for export."""
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if key == "events":
                out[key] = [
                    {
                        k: (v.isoformat() if isinstance(v, datetime) else v)
                        for k, v in e.__dict__.items()
                    }
                    for e in value
                ]
            elif isinstance(value, datetime):
                out[key] = value.isoformat()
            else:
                out[key] = value
        return out


@dataclass(frozen=True)
class TicketFilters:
    status: str | None = None
    category: str | None = None
    since: datetime | None = None
    overdue_at: datetime | None = None  # only tickets overdue at this instant
    limit: int | None = None


@dataclass(frozen=True)
class CallFilters:
    """`ivr calls list`: calls answered in [since, until), by end reason and caller hash."""

    since: datetime | None = None
    until: datetime | None = None
    end_reason: str | None = None
    caller_hash: str | None = None
    limit: int = 100


@dataclass(frozen=True)
class CallView:
    """One row of the call register as an operator reads it (caller masked, never revealed)."""

    call_id: str
    answered_at: datetime
    ended_at: datetime
    end_reason: str
    caller_masked: str | None
    caller_hash: str | None
    sip_call_id: str | None
    worker_id: int | None
    transfer_target: str | None
    ticket_ids: tuple[str, ...]
    prompts_played: tuple[str, ...]
    silent_s: float
    low_volume_s: float
    noisy_s: float

    @property
    def duration_s(self) -> float:
        return (self.ended_at - self.answered_at).total_seconds()
