"""Outbound webhooks for helpdesks (Zendesk, Freshdesk, ...): ticket events POSTed as JSON,
signed with HMAC-SHA256 of the body under the endpoint's secret, retried with backoff.

Headers: X-IVR-Event (open, dispatch, ...), X-IVR-Delivery (the ticket event id: receivers drop
repeats, delivery is at least once), X-IVR-Signature: sha256=<hex>. Events an endpoint did not
subscribe to are skipped, not sent. The queue is the ticket trail itself (ivr.tickets.webhooks),
so nothing is lost when the console restarts or the helpdesk is down for a while. An event
refused MAX_ATTEMPTS times in a row (about 1.5 hours of backoff) goes to the dead-letter list
and later events flow again; the admin's "retry" on the webhooks page asks for one more try.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ivr.tickets.webhooks import Delivery, EndpointView, WebhookStore

log = logging.getLogger(__name__)

POST_TIMEOUT_S = 5.0
LEASE_S = 60.0
POLL_S = 1.0
MAX_BACKOFF_S = 600.0
MAX_ATTEMPTS = 15  # 1+2+...+512 s, then 600 s steps: about 1.5 h before the dead-letter list
BATCH = 20


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def backoff_s(attempts: int) -> float:
    """1 s, 2 s, 4 s ... up to 10 minutes between tries of the same event."""
    return float(min(MAX_BACKOFF_S, 2 ** max(0, attempts)))


def post(url: str, body: bytes, headers: dict[str, str]) -> None:
    """POST or raise OSError/HTTPError with a one-line reason."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    with urllib.request.urlopen(request, timeout=POST_TIMEOUT_S) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"HTTP {response.status}")


class Dispatcher:
    def __init__(self, store: WebhookStore, clock: Callable[[], datetime],
                 sender: Callable[[str, bytes, dict[str, str]], None] = post,
                 max_attempts: int = MAX_ATTEMPTS):
        self.store = store
        self.clock = clock
        self.sender = sender
        self.max_attempts = max_attempts
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Deliver what is due; returns how many events were POSTed successfully."""
        sent = 0
        for endpoint in self.store.claim_due(self.clock(), LEASE_S):
            try:
                sent += self._deliver(endpoint)
            finally:
                self.store.release(endpoint.id)
        return sent

    def _send(self, endpoint: EndpointView, delivery: Delivery) -> str | None:
        """POST one event; None when delivered, else the one-line reason."""
        body = json.dumps(delivery.payload, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "ivr-console-webhook/1",
            "X-IVR-Event": delivery.event,
            "X-IVR-Delivery": str(delivery.event_id),
            "X-IVR-Signature": signature(endpoint.secret, body),
        }
        try:
            self.sender(endpoint.url, body, headers)
        except (OSError, urllib.error.URLError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"[:300]
        return None

    def _retry_letters(self, endpoint: EndpointView) -> int:
        """The dead letters the admin asked to retry: one try each."""
        sent = 0
        for letter in self.store.retries_requested(endpoint.id):
            delivery = self.store.delivery(letter.event_id)
            error = "the ticket is gone" if delivery is None else self._send(endpoint, delivery)
            if error is None:
                self.store.letter_delivered(letter.id, self.clock())
                log.info("webhook %d: dead letter %d delivered on retry", endpoint.id, letter.id)
                sent += 1
            else:
                self.store.letter_failed(letter.id, error)
                log.warning("webhook %d: dead letter %d failed again: %s", endpoint.id,
                            letter.id, error)
        return sent

    def _deliver(self, endpoint: EndpointView) -> int:
        sent = self._retry_letters(endpoint)
        for delivery in self.store.pending(endpoint, BATCH):
            if delivery.event not in endpoint.events:
                self.store.advanced(endpoint.id, delivery.event_id, delivered=False)
                continue
            error = self._send(endpoint, delivery)
            if error is not None:
                attempts = endpoint.attempts + 1
                if attempts >= self.max_attempts:
                    self.store.dead_letter(endpoint.id, delivery, attempts, error, self.clock())
                    log.error("webhook %d: event %d dead-lettered after %d tries: %s",
                              endpoint.id, delivery.event_id, attempts, error)
                    endpoint = replace(endpoint, attempts=0, cursor_event_id=delivery.event_id)
                    continue
                retry_at = self.clock() + timedelta(seconds=backoff_s(attempts - 1))
                self.store.failed(endpoint.id, error, retry_at)
                log.warning("webhook %d: event %d not delivered (try %d): %s", endpoint.id,
                            delivery.event_id, attempts, error)
                return sent
            self.store.advanced(endpoint.id, delivery.event_id, delivered=True)
            sent += 1
        return sent

    def start(self) -> Dispatcher:
        def loop() -> None:
            while not self._stop.wait(POLL_S):
                try:
                    self.run_once()
                except Exception:  # a background thread logs, never dies silently
                    log.exception("webhook dispatcher: unexpected error")

        self._thread = threading.Thread(target=loop, name="webhooks", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=POST_TIMEOUT_S + 2)


def start_for(console: Any) -> Dispatcher:
    return Dispatcher(WebhookStore(console.tickets), console.clock).start()
