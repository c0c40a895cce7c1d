"""Repository of outbound webhooks: endpoints, their cursor over ticket_events (the durable
queue), retry state and a lease so that only one console process delivers to an endpoint at a
time. The HTTP side (signing, POSTing, backoff policy) is in ivr.console.webhooks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from .console_models import WebhookEndpoint
from .models import Ticket, TicketEvent
from .service import TicketService
from .types import InvalidDraft, short_id

# What an endpoint may subscribe to: the ticket trail's actions (dispatch:<dept> counts as
# dispatch).
EVENTS: tuple[str, ...] = (
    "open", "first_reply", "dispatch", "resolve", "close", "reopen", "note", "mark_complex",
)


@dataclass(frozen=True)
class EndpointView:
    id: int
    url: str
    secret: str
    events: tuple[str, ...]
    active: bool
    cursor_event_id: int
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    delivered_count: int


@dataclass(frozen=True)
class Delivery:
    event_id: int
    event: str
    payload: dict[str, Any]


def _view(e: WebhookEndpoint) -> EndpointView:
    return EndpointView(e.id, e.url, e.secret, tuple(e.events or ()), bool(e.active),
                        e.cursor_event_id, e.attempts, e.next_attempt_at, e.last_error,
                        e.delivered_count)


def event_name(action: str) -> str:
    return action.split(":", 1)[0]


class WebhookStore:
    def __init__(self, service: TicketService):
        self.service = service

    def add(self, url: str, secret: str, events: list[str], actor: str, now: datetime
            ) -> EndpointView:
        if not url.startswith(("http://", "https://")) or len(url) > 500:
            raise InvalidDraft(f"webhook URL {url!r} must be http(s)://... (at most 500 chars)")
        unknown = sorted(set(events) - set(EVENTS))
        if unknown or not events:
            raise InvalidDraft(f"webhook events {unknown or '[]'}: choose from {', '.join(EVENTS)}")

        def work(s: Session) -> EndpointView:
            newest = s.scalar(select(func.max(TicketEvent.id))) or 0
            row = WebhookEndpoint(url=url, secret=secret, events=sorted(set(events)), active=True,
                                  cursor_event_id=int(newest), attempts=0, last_error="",
                                  delivered_count=0, created_by=actor[:64], created_at=now)
            s.add(row)
            s.flush()
            return _view(row)

        return self.service._read(work)

    def remove(self, endpoint_id: int) -> EndpointView | None:
        def work(s: Session) -> EndpointView | None:
            row = s.get(WebhookEndpoint, endpoint_id)
            if row is None:
                return None
            row.active = False
            return _view(row)

        return self.service._read(work)

    def endpoints(self) -> list[EndpointView]:
        return self.service._read(
            lambda s: [_view(e) for e in s.scalars(
                select(WebhookEndpoint).where(WebhookEndpoint.active).order_by(WebhookEndpoint.id)
            )]
        )

    def claim_due(self, now: datetime, lease_s: float) -> list[EndpointView]:
        """Endpoints due for delivery whose lease is free; this process holds them for lease_s."""
        until = now + timedelta(seconds=lease_s)

        def work(s: Session) -> list[EndpointView]:
            claimed = []
            for row in s.scalars(
                select(WebhookEndpoint)
                .where(WebhookEndpoint.active)
                .where(or_(WebhookEndpoint.next_attempt_at.is_(None),
                           WebhookEndpoint.next_attempt_at <= now))
                .where(or_(WebhookEndpoint.lease_until.is_(None),
                           WebhookEndpoint.lease_until < now))
            ):
                row.lease_until = until
                claimed.append(_view(row))
            return claimed

        return self.service._read(work)

    def pending(self, endpoint: EndpointView, limit: int = 20) -> list[Delivery]:
        def work(s: Session) -> list[Delivery]:
            out = []
            rows = s.execute(
                select(TicketEvent, Ticket)
                .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .where(TicketEvent.id > endpoint.cursor_event_id)
                .order_by(TicketEvent.id)
                .limit(limit)
            )
            for event, ticket in rows:
                out.append(Delivery(event.id, event_name(event.action), {
                    "delivery": event.id,
                    "event": event_name(event.action),
                    "at": event.at.isoformat(),
                    "actor": event.actor,
                    "from_status": event.from_status,
                    "to_status": event.to_status,
                    "ticket": {
                        "id": ticket.id,
                        "short_id": short_id(ticket.id),
                        "category": ticket.category,
                        "severity": ticket.severity,
                        "status": ticket.status,
                        "department": ticket.department,
                        "caller_number": ticket.caller_number_masked,
                        "caller_surname": self.service.protector.unseal(
                            ticket.caller_surname),
                        "summary": ticket.summary,
                        "opened_at": ticket.opened_at.isoformat(),
                        "promised_reply_by": (ticket.promised_reply_by.isoformat()
                                              if ticket.promised_reply_by else None),
                    },
                }))
            return out

        return self.service._read(work)

    def advanced(self, endpoint_id: int, event_id: int, delivered: bool) -> None:
        values: dict[str, Any] = {"cursor_event_id": event_id, "attempts": 0,
                                  "next_attempt_at": None, "last_error": ""}
        if delivered:
            values["delivered_count"] = WebhookEndpoint.delivered_count + 1
        self.service._read(lambda s: s.execute(
            update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(**values)))

    def failed(self, endpoint_id: int, error: str, retry_at: datetime) -> None:
        self.service._read(lambda s: s.execute(
            update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(
                attempts=WebhookEndpoint.attempts + 1, next_attempt_at=retry_at,
                last_error=error[:500], lease_until=None)))

    def release(self, endpoint_id: int) -> None:
        self.service._read(lambda s: s.execute(
            update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
            .values(lease_until=None)))
