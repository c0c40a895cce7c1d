"""The admin's webhooks page: add an endpoint (its signing secret is generated and shown in full
once, on the answer to the add; afterwards only its last 4 characters), remove one, see the
delivery state and the dead-letter list, and ask for one more try of a dead letter."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.console.app import console_of, form_of, page

ADMIN_ROLES = ("admin",)
SECRET_BYTES = 24  # 48 hex characters
SHOWN_TAIL = 4


def routes() -> list[Route]:
    return [Route("/admin/webhooks", webhooks_page, methods=["GET", "POST"])]


def secret_tail(secret: str) -> str:
    return "…" + secret[-SHOWN_TAIL:]


@page(ADMIN_ROLES)
def webhooks_page(request: Request) -> Response:
    from ivr.tickets import InvalidDraft
    from ivr.tickets.webhooks import EVENTS, WebhookStore

    console = console_of(request)
    store = WebhookStore(console.tickets)
    context: dict[str, Any] = {"error": "", "new_secret": None, "retry_asked": None}
    if request.method == "POST":
        form = form_of(request)
        op = form.get("op")
        try:
            if op == "add":
                url = str(form.get("url", "")).strip()
                events = [str(e) for e in form.getlist("events")]
                view = store.add(url, secrets.token_hex(SECRET_BYTES), events,
                                 request.state.session.user.name, console.clock())
                console.audit(request, "webhook.add", url, None,
                              {"events": list(view.events), "secret": secret_tail(view.secret)})
                context["new_secret"] = (view.url, view.secret)
            elif op == "remove":
                removed = store.remove(int(str(form.get("id", "0"))))
                if removed is not None:
                    console.audit(request, "webhook.remove", removed.url,
                                  {"events": list(removed.events)}, None)
            elif op == "retry":
                letter = store.request_retry(int(str(form.get("letter", "0"))), console.clock())
                if letter is not None:
                    console.audit(request, "webhook.retry", letter.url, None,
                                  {"event_id": letter.event_id, "event": letter.event})
                    context["retry_asked"] = letter
        except (InvalidDraft, ValueError) as exc:
            context["error"] = str(exc)
    context.update(endpoints=store.endpoints(), events=EVENTS, letters=store.dead_letters(),
                   tail=secret_tail)
    return console.render(request, "admin_webhooks.html", context)
