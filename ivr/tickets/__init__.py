"""The complaint register (客服登记表): tickets, audit trail, call records, SLA, journal, reports.

The only package that imports SQLAlchemy. The session uses:

    from ivr.tickets import TicketService, TicketDraft, CallRecordDraft
    service = TicketService.from_settings(settings)        # upgrades SQLite, replays journal
    service.start_replayer(settings.database.journal_replay_interval_s)
    receipt = service.open_ticket(TicketDraft(call_id=..., category="complaint", opened_at=now))
    service.record_call(CallRecordDraft(...))
    service.shutdown()

See service.TicketService for the full API.
"""

from .sla import Calendar, Commitment, promised_reply_by
from .types import (
    CATEGORIES,
    END_REASONS,
    SEVERITIES,
    STATUSES,
    CallRecordDraft,
    DatabaseUnavailable,
    IllegalTransition,
    InvalidDraft,
    TicketDraft,
    TicketError,
    TicketEventView,
    TicketFilters,
    TicketNotFound,
    TicketReceipt,
    TicketView,
    short_id,
    ticket_uuid,
)


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # TicketService pulls in SQLAlchemy; load it only when asked for, so importing the value
    # types above stays cheap for the policy and media layers.
    if name == "TicketService":
        from .service import TicketService

        return TicketService
    raise AttributeError(name)


__all__ = [
    "CATEGORIES",
    "END_REASONS",
    "SEVERITIES",
    "STATUSES",
    "Calendar",
    "CallRecordDraft",
    "Commitment",
    "DatabaseUnavailable",
    "IllegalTransition",
    "InvalidDraft",
    "TicketDraft",
    "TicketError",
    "TicketEventView",
    "TicketFilters",
    "TicketNotFound",
    "TicketReceipt",
    "TicketService",
    "TicketView",
    "promised_reply_by",
    "short_id",
    "ticket_uuid",
]
