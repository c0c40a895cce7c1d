"""Repository of outbound webhooks: endpoints, their cursor over ticket_events (the durable
queue), retry state and a lease so that only one console process delivers to an endpoint at a
time. The HTTP side (signing, POSTing, backoff policy) is in ivr.console.webhooks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from .console_models import WebhookDeadLetter, WebhookEndpoint
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


@dataclass(frozen=True)
class DeadLetterView:
    id: int
    endpoint_id: int
    url: str
    event_id: int
    event: str
    attempts: int
    last_error: str
    failed_at: datetime
    retry_requested_at: datetime | None


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

    def _delivery(self, event: TicketEvent, ticket: Ticket) -> Delivery:
        return Delivery(event.id, event_name(event.action), {
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
                "caller_surname": self.service.protector.unseal(ticket.caller_surname),
                "summary": ticket.summary,
                "opened_at": ticket.opened_at.isoformat(),
                "promised_reply_by": (ticket.promised_reply_by.isoformat()
                                      if ticket.promised_reply_by else None),
            },
        })

    def pending(self, endpoint: EndpointView, limit: int = 20) -> list[Delivery]:
        def work(s: Session) -> list[Delivery]:
            rows = s.execute(
                select(TicketEvent, Ticket)
                .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .where(TicketEvent.id > endpoint.cursor_event_id)
                .order_by(TicketEvent.id)
                .limit(limit)
            )
            return [self._delivery(event, ticket) for event, ticket in rows]

        return self.service._read(work)

    def delivery(self, event_id: int) -> Delivery | None:
        """One ticket event as it is POSTed (a dead letter's retry); None once the ticket is
        gone (retention)."""

        def work(s: Session) -> Delivery | None:
            row = s.execute(
                select(TicketEvent, Ticket)
                .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .where(TicketEvent.id == event_id)
            ).first()
            return None if row is None else self._delivery(row[0], row[1])

        return self.service._read(work)

    # Dead letters ----------------------------------------------------------------------------

    def dead_letter(self, endpoint_id: int, delivery: Delivery, attempts: int, error: str,
                    now: datetime) -> None:
        """Give up on one event after the retry limit: keep it on the dead-letter list and move
        the endpoint's cursor past it (later events flow again), in one transaction."""

        def work(s: Session) -> None:
            s.add(WebhookDeadLetter(endpoint_id=endpoint_id, event_id=delivery.event_id,
                                    event=delivery.event[:32], attempts=attempts,
                                    last_error=error[:500], failed_at=now))
            s.execute(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(
                cursor_event_id=delivery.event_id, attempts=0, next_attempt_at=None,
                last_error=f"dead-lettered event {delivery.event_id}: {error}"[:500]))

        self.service._read(work)

    def dead_letters(self, endpoint_id: int | None = None) -> list[DeadLetterView]:
        """Undelivered dead letters (of one endpoint, or all), oldest first."""

        def work(s: Session) -> list[DeadLetterView]:
            query = (
                select(WebhookDeadLetter, WebhookEndpoint.url)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDeadLetter.endpoint_id)
                .where(WebhookEndpoint.active)  # a removed endpoint's letters go with it
                .where(WebhookDeadLetter.delivered_at.is_(None))
                .order_by(WebhookDeadLetter.id)
            )
            if endpoint_id is not None:
                query = query.where(WebhookDeadLetter.endpoint_id == endpoint_id)
            return [
                DeadLetterView(d.id, d.endpoint_id, url, d.event_id, d.event, d.attempts,
                               d.last_error, d.failed_at, d.retry_requested_at)
                for d, url in s.execute(query)
            ]

        return self.service._read(work)

    def request_retry(self, letter_id: int, now: datetime) -> DeadLetterView | None:
        """The admin asks for one more try; the dispatcher makes it on its next round."""
        self.service._read(lambda s: s.execute(
            update(WebhookDeadLetter)
            .where(WebhookDeadLetter.id == letter_id)
            .where(WebhookDeadLetter.delivered_at.is_(None))
            .values(retry_requested_at=now)))
        return next((d for d in self.dead_letters() if d.id == letter_id), None)

    def retries_requested(self, endpoint_id: int) -> list[DeadLetterView]:
        return [d for d in self.dead_letters(endpoint_id) if d.retry_requested_at is not None]

    def letter_delivered(self, letter_id: int, now: datetime) -> None:
        self.service._read(lambda s: s.execute(
            update(WebhookDeadLetter).where(WebhookDeadLetter.id == letter_id).values(
                delivered_at=now, retry_requested_at=None)))

    def letter_failed(self, letter_id: int, error: str) -> None:
        self.service._read(lambda s: s.execute(
            update(WebhookDeadLetter).where(WebhookDeadLetter.id == letter_id).values(
                attempts=WebhookDeadLetter.attempts + 1, last_error=error[:500],
                retry_requested_at=None)))

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
