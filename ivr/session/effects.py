"""What the policy's ticket and transfer actions become: a ticket draft, a target and headers."""

from __future__ import annotations

import datetime as dt

from ivr.config import TransferSettings
from ivr.media.monitor import LineStatus
from ivr.policy import actions as act
from ivr.session.facts import CallFacts
from ivr.tickets.types import TicketDraft


def ticket_draft(
    action: act.OpenTicket,
    facts: CallFacts,
    *,
    opened_at: dt.datetime,
    line: LineStatus | None,
    recording_paths: list[str],
) -> TicketDraft:
    """The register's draft for an OpenTicket, with the last line figures as evidence."""
    return TicketDraft(
        call_id=f"{facts.call_id}:{action.request_id}",
        category=action.category,
        opened_at=opened_at,
        severity=action.severity,
        caller_number=facts.caller or None,
        caller_title=action.caller_title,
        caller_surname=action.caller_surname,
        summary=action.summary,
        transcript=action.transcript,
        recording_path=recording_paths[-1] if action.recording and recording_paths else None,
        level_dbfs=line.level_dbfs if line else None,
        noise_dbfs=line.noise_dbfs if line else None,
        snr_db=line.snr_db if line else None,
        notes=action.notes,
    )


def transfer_target(action: act.Transfer, transfer: TransferSettings) -> str:
    """The named queue's URI, or a URI that is one of the queues; else the default queue's.

    The [transfer] queues are the allow-list: nothing else is ever dialled (toll fraud,
    docs/security.md).
    """
    if action.target in transfer.queues.values():
        return action.target
    return transfer.queues.get(action.target, transfer.queues[transfer.default_queue])


def queue_name(action: act.Transfer, transfer: TransferSettings) -> str:
    """The name of the queue a transfer goes to (the console's screen pop is keyed by it)."""
    if action.target in transfer.queues:
        return action.target
    for name, uri in transfer.queues.items():
        if uri == action.target:
            return name
    return "" if action.target.startswith("sip") else transfer.default_queue


def transfer_headers(ticket_id: str) -> dict[str, str]:
    """The ticket travels with the call: X-Ticket-Id and User-to-User (RFC 7433, hex)."""
    if not ticket_id:
        return {}
    return {
        "X-Ticket-Id": ticket_id,
        "User-to-User": ticket_id.encode().hex() + ";encoding=hex",
    }


def short_ticket_id(ticket_id: str) -> str:
    return ticket_id.replace("-", "")[:8]
