"""Outbound webhooks against a real HTTP receiver on loopback: signed JSON per subscribed
ticket event, retried with backoff while the receiver fails, resumed from the database after a
restart (the ticket trail is the queue), one process delivering at a time (lease)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from consolekit import csrf_of, open_ticket

from ivr.console.webhooks import Dispatcher
from ivr.tickets.webhooks import WebhookStore


class Receiver:
    """A helpdesk stand-in: answers 500 to the first `fail` POSTs, then 200; keeps what came."""

    def __init__(self, fail: int = 0):
        self.fail = fail
        self.got: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.fail > 0:
                    outer.fail -= 1
                    self.send_response(500)
                else:
                    outer.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_signed_events_retried_until_delivered_in_order(kit):
    receiver = Receiver(fail=2)
    try:
        client = kit.sign_in("ada")
        token = csrf_of(client.get("/admin/webhooks").text)
        page = client.post("/admin/webhooks", data={
            "csrf": token, "op": "add", "url": receiver.url, "events": ["open", "resolve"]})
        assert receiver.url in page.text
        store = WebhookStore(kit.console.tickets)
        [endpoint] = store.endpoints()
        assert endpoint.secret in page.text and len(endpoint.secret) == 48
        # Shown in full once, on the answer to the add; afterwards only its last 4 characters.
        later = client.get("/admin/webhooks").text
        assert endpoint.secret not in later and endpoint.secret[:44] not in later
        assert f"…{endpoint.secret[-4:]}" in later

        ticket = open_ticket(kit.console, "wh-1", caller_number="13812345678", summary="漏水")
        kit.console.tickets.add_note(ticket.short_id, "not sent", actor="ann")
        kit.console.tickets.resolve(ticket.short_id, actor="ann", note="修好了")

        dispatcher = Dispatcher(store, kit.clock)
        assert dispatcher.run_once() == 0  # 500: the event waits
        assert store.endpoints()[0].attempts == 1 and "500" in store.endpoints()[0].last_error
        assert dispatcher.run_once() == 0  # not due yet: backoff (virtual clock stands still)
        kit.clock.now += timedelta(seconds=1)
        assert dispatcher.run_once() == 0  # second 500
        kit.clock.now += timedelta(seconds=2)
        # A "restart": a new dispatcher and store on the same database carry on.
        restarted = Dispatcher(WebhookStore(kit.console.tickets), kit.clock)
        assert restarted.run_once() == 2
        assert restarted.run_once() == 0  # nothing left, nothing twice
    finally:
        receiver.close()
    events = [h["x-ivr-event"] for h, _ in receiver.got]
    assert events == ["open", "resolve"]  # the note was skipped (not subscribed)
    for headers, body in receiver.got:
        expected = hmac.new(endpoint.secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-ivr-signature"] == f"sha256={expected}"
    payload = json.loads(receiver.got[1][1])
    assert payload["ticket"]["short_id"] == ticket.short_id
    assert payload["ticket"]["status"] == "resolved" and payload["actor"] == "ann"
    assert payload["ticket"]["caller_number"] == "138****5678"
    assert "13812345678" not in receiver.got[0][1].decode()
    assert int(receiver.got[0][0]["x-ivr-delivery"]) < int(receiver.got[1][0]["x-ivr-delivery"])
    assert store.endpoints()[0].delivered_count == 2


def test_one_process_at_a_time_and_bad_urls_refused(kit):
    store = WebhookStore(kit.console.tickets)
    endpoint = store.add("http://127.0.0.1:9/x", "s" * 48, ["open"], "ada", kit.clock())
    assert [e.id for e in store.claim_due(kit.clock(), 60)] == [endpoint.id]
    assert store.claim_due(kit.clock(), 60) == []  # leased by the first
    kit.clock.now += timedelta(seconds=61)
    assert [e.id for e in store.claim_due(kit.clock(), 60)] == [endpoint.id]
    client = kit.sign_in("ada")
    token = csrf_of(client.get("/admin/webhooks").text)
    page = client.post("/admin/webhooks", data={"csrf": token, "op": "add",
                                                "url": "ftp://x", "events": ["open"]})
    assert "must be http(s)" in page.text
    assert kit.sign_in("max").get("/admin/webhooks").status_code == 403


def test_a_delivery_failing_past_the_limit_is_dead_lettered_and_retried_from_the_page(kit):
    """A real receiver answers 500 three times (the limit here), then 200: the event goes to
    the dead-letter list, the next event flows, and the admin's retry delivers the letter."""
    receiver = Receiver(fail=3)
    try:
        store = WebhookStore(kit.console.tickets)
        endpoint = store.add(receiver.url, "k" * 48, ["open", "resolve"], "ada", kit.clock())
        ticket = open_ticket(kit.console, "dl-1", summary="漏水")
        dispatcher = Dispatcher(store, kit.clock, max_attempts=3)
        for step in (0, 1, 2):
            assert dispatcher.run_once() == 0
            kit.clock.now += timedelta(seconds=2 ** step)
        [letter] = store.dead_letters()
        assert (letter.event, letter.attempts, letter.endpoint_id) == ("open", 3, endpoint.id)
        assert "500" in letter.last_error
        assert store.endpoints()[0].attempts == 0  # the cursor moved past it
        # The next event flows (the receiver now answers 200); the letter stays dead.
        kit.console.tickets.resolve(ticket.short_id, actor="ann", note="修好了")
        assert dispatcher.run_once() == 1
        assert [h["x-ivr-event"] for h, _ in receiver.got] == ["resolve"]
        assert len(store.dead_letters()) == 1

        client = kit.sign_in("ada")
        page = client.get("/admin/webhooks").text
        assert f'id="letter-{letter.id}"' in page and 'class="retry"' in page
        refused = client.post("/admin/webhooks", data={"op": "retry", "letter": letter.id})
        assert refused.status_code == 403  # no CSRF token
        assert store.dead_letters()[0].retry_requested_at is None
        page = client.post("/admin/webhooks", data={
            "csrf": csrf_of(page), "op": "retry", "letter": str(letter.id)}).text
        assert 'id="retry-asked"' in page
        assert dispatcher.run_once() == 1
        assert store.dead_letters() == []
        assert 'id="no-dead-letters"' in client.get("/admin/webhooks").text
    finally:
        receiver.close()
    assert [h["x-ivr-event"] for h, _ in receiver.got] == ["resolve", "open"]
    headers, body = receiver.got[1]
    assert headers["x-ivr-delivery"] == str(letter.event_id)
    expected = hmac.new(b"k" * 48, body, hashlib.sha256).hexdigest()
    assert headers["x-ivr-signature"] == f"sha256={expected}"
    assert any(a.action == "webhook.retry" for a in kit.console.store.audit_log())
