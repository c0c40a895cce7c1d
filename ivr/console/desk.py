"""The agent desk: ticket queue, ticket page, lifecycle actions, recordings, screen pops (SSE).

The queue shows open tickets (new, dispatched): mine (I acted on them), my department, or all;
overdue first, then by promised reply time. Recordings are served only to signed-in users, at a
URL carrying an HMAC of the ticket id under the console's secret (not derivable from the id),
with HTTP range requests (Starlette's FileResponse) so the page's <audio> can seek.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from ivr.console import auth, i18n
from ivr.console.app import Console, console_of, form_of, page
from ivr.tickets import IllegalTransition, InvalidDraft, TicketFilters, TicketNotFound, TicketView
from ivr.tickets.console_store import EventView, SessionView

log = logging.getLogger(__name__)

RECORDING_PURPOSE = "recording"
# A recording URL is good for this long after the ticket page made it (the expiry is inside the
# signed value): a URL copied out of a page, a log or a browser history stops working.
RECORDING_URL_TTL_S = 3600
OPEN_STATUSES = ("new", "dispatched")
KEEPALIVE_S = 15.0
ACTIONS = ("first_reply", "dispatch", "resolve", "close", "reopen", "note", "mark_complex")
_SAFE_CALL_ID = re.compile(r"^[A-Za-z0-9._@:+-]{1,200}$")


def routes() -> list[Route]:
    return [
        Route("/desk", queue),
        Route("/tickets/{ref}", ticket_page),
        Route("/tickets/{ref}/card", ticket_card),
        Route("/tickets/{ref}/act", ticket_action, methods=["POST"]),
        Route("/recordings/{ticket_id}/{expires}/{signature}", recording),
        Route("/events", events),
    ]


# Queue -------------------------------------------------------------------------------------


def sort_key(ticket: TicketView, now: datetime) -> tuple[int, float, float]:
    """Overdue first, then the earliest promise, then the oldest; no promise goes last."""
    promised = ticket.promised_reply_by
    return (
        0 if ticket.overdue(now) else 1,
        promised.timestamp() if promised else float("inf"),
        ticket.opened_at.timestamp(),
    )


def select_queue(
    tickets: list[TicketView],
    view: str,
    user_name: str,
    department: str | None,
    now: datetime,
    transferred: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[TicketView]:
    """`transferred`: short ids the bot transferred to the user's queue (they belong to the
    department's view even before anyone dispatched them)."""
    if view == "mine":
        chosen = [t for t in tickets if any(e.actor == user_name for e in t.events)]
    elif view == "department":
        chosen = [
            t for t in tickets
            if department and (t.department == department or t.short_id in transferred)
        ]
    else:
        chosen = list(tickets)
    return sorted(chosen, key=lambda t: sort_key(t, now))


@page()
def queue(request: Request) -> Response:
    console = console_of(request)
    session: SessionView = request.state.session
    default_view = "department" if session.user.department else "open"
    view = request.query_params.get("view", default_view)
    if view not in ("mine", "department", "open"):
        view = default_view
    now = console.clock()
    open_tickets: list[TicketView] = []
    for status in OPEN_STATUSES:
        open_tickets += console.tickets.list_tickets(
            TicketFilters(status=status), with_events=True
        )
    department = session.user.department
    transferred = console.store.transferred_to(department) if department else set()
    rows = select_queue(open_tickets, view, session.user.name, department, now, transferred)
    return console.render(
        request,
        "desk.html",
        {"tickets": rows, "view": view, "now": now, "sla": lambda tk: sla_clock(tk, now)},
    )


def sla_clock(ticket: TicketView, now: datetime) -> dict[str, Any]:
    """What the SLA clock shows: state ('none', 'replied', 'ok', 'overdue') and the minutes."""
    if ticket.promised_reply_by is None:
        return {"state": "none", "minutes": 0}
    if ticket.replied_at is not None:
        late = ticket.replied_at > ticket.promised_reply_by
        return {"state": "replied_late" if late else "replied", "minutes": 0}
    if ticket.status not in OPEN_STATUSES:
        return {"state": "replied", "minutes": 0}
    minutes = int((ticket.promised_reply_by - now).total_seconds() // 60)
    return {"state": "ok" if minutes >= 0 else "overdue", "minutes": abs(minutes)}


# Ticket page -------------------------------------------------------------------------------


def load_timeline(data_dir: Path, call_id: str) -> dict[str, Any] | None:
    """<data>/calls/<call id>.json written by the agent at the call's end, if it is there."""
    # A ticket's call_id is "<call id>:<request id>" (one call may open several tickets).
    for name in (call_id.split(":", 1)[0], call_id):
        if not _SAFE_CALL_ID.match(name) or name.startswith("."):
            continue
        path = Path(data_dir) / "calls" / f"{name}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            return data
    return None


def line_reports(timeline: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The LineReport events of a timeline (verdict, level, noise, SNR over time)."""
    out = []
    for step in (timeline or {}).get("timeline", []):
        what = str(step.get("what", ""))
        if step.get("kind") == "event" and what.startswith("LineReport("):
            fields = dict(re.findall(r"(\w+)=([^,)]+)", what))
            out.append({"t": step.get("t"), **fields})
    return out


def recording_url(console: Console, ticket: TicketView) -> str | None:
    if not ticket.recording_path or not Path(ticket.recording_path).is_file():
        return None
    expires = int(console.clock().timestamp()) + RECORDING_URL_TTL_S
    signature = auth.sign(console.secret, RECORDING_PURPOSE, f"{ticket.id}/{expires}")
    return f"/recordings/{ticket.id}/{expires}/{signature}"


def _ticket_context(console: Console, ticket: TicketView) -> dict[str, Any]:
    now = console.clock()
    timeline = load_timeline(console.settings.data_dir, ticket.call_id)
    return {
        "tk": ticket,
        "sla": sla_clock(ticket, now),
        "timeline": timeline,
        "lines": line_reports(timeline),
        "recording": recording_url(console, ticket),
        "queues": sorted(console.settings.transfer.queues),
        "actions": ACTIONS,
    }


@page()
def ticket_page(request: Request) -> Response:
    console = console_of(request)
    t = i18n.translator(console.locale(request))
    try:
        ticket = console.tickets.get(request.path_params["ref"])
    except TicketNotFound:
        return console.render(request, "error.html", {"message": t("not_found")}, 404)
    context = _ticket_context(console, ticket)
    context["error"] = request.query_params.get("error", "")
    return console.render(request, "ticket.html", context)


@page()
def ticket_card(request: Request) -> Response:
    """The screen-pop partial (loaded by htmx into the pop panel)."""
    console = console_of(request)
    try:
        ticket = console.tickets.get(request.path_params["ref"])
    except TicketNotFound:
        return PlainTextResponse("", status_code=404)
    return console.render(request, "_card.html", _ticket_context(console, ticket))


def _snapshot(ticket: TicketView) -> dict[str, Any]:
    return {
        "status": ticket.status,
        "severity": ticket.severity,
        "department": ticket.department,
        "replied_at": ticket.replied_at.isoformat() if ticket.replied_at else None,
        "promised_reply_by": (
            ticket.promised_reply_by.isoformat() if ticket.promised_reply_by else None
        ),
    }


@page()
def ticket_action(request: Request) -> Response:
    console = console_of(request)
    session: SessionView = request.state.session
    form = form_of(request)
    ref = request.path_params["ref"]
    action = str(form.get("action", ""))
    note = str(form.get("note", "")).strip()[:2000]
    actor = session.user.name
    now = console.clock()
    svc = console.tickets
    try:
        before = svc.get(ref)
        if action == "dispatch":
            after = svc.dispatch(ref, str(form.get("department", "")), actor=actor, note=note,
                                 now=now)
        elif action == "resolve":
            after = svc.resolve(ref, note=note, actor=actor, now=now)
        elif action == "close":
            after = svc.close(ref, actor=actor, note=note, now=now)
        elif action == "reopen":
            after = svc.reopen(ref, note=note, actor=actor, now=now)
        elif action == "first_reply":
            after = svc.first_reply(ref, note=note, actor=actor, now=now)
        elif action == "note":
            after = svc.add_note(ref, note, actor=actor, now=now)
        elif action == "mark_complex":
            after = svc.mark_complex(ref, note=note, actor=actor, now=now)
        else:
            return PlainTextResponse(f"unknown action {action!r}", status_code=400)
    except TicketNotFound:
        return PlainTextResponse("ticket not found", status_code=404)
    except (IllegalTransition, InvalidDraft) as exc:
        from urllib.parse import quote

        return RedirectResponse(f"/tickets/{ref}?error={quote(str(exc))}", status_code=303)
    console.store.audit(
        actor, f"ticket.{action}", after.short_id, _snapshot(before), _snapshot(after), now
    )
    return RedirectResponse(f"/tickets/{after.short_id}", status_code=303)


# Recordings --------------------------------------------------------------------------------


@page()
def recording(request: Request) -> Response:
    console = console_of(request)
    ticket_id = request.path_params["ticket_id"]
    expires = request.path_params["expires"]
    signature = request.path_params["signature"]
    if len(ticket_id) != 36 or not expires.isdigit() or not auth.verify_signature(
        console.secret, RECORDING_PURPOSE, f"{ticket_id}/{expires}", signature
    ):
        return PlainTextResponse("not found", status_code=404)
    if int(expires) <= console.clock().timestamp():
        return PlainTextResponse(
            "this recording link has expired: open the ticket page again", status_code=403
        )
    try:
        ticket = console.tickets.get(ticket_id)
    except TicketNotFound:
        return PlainTextResponse("not found", status_code=404)
    path = Path(ticket.recording_path or "")
    if not ticket.recording_path or not path.is_file():
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "private"})


# Screen pops -------------------------------------------------------------------------------


def pop_for(event: EventView, user_department: str | None) -> bool:
    """An agent with a department sees pops of that queue; one without sees every pop."""
    if event.kind != "transfer" or not event.ticket_ref:
        return False
    return not user_department or event.queue == user_department


async def events(request: Request) -> Response:
    """Server-Sent Events: `pop` for each transfer to this agent's queue since connecting
    (or since the Last-Event-ID the browser sends when it reconnects)."""
    console = console_of(request)
    session = await run_in_threadpool(console.session_for, request)
    if session is None:
        return PlainTextResponse("sign in first", status_code=401)
    department = session.user.department
    last_header = request.headers.get("last-event-id", "")
    if last_header.isdigit():
        last = int(last_header)
    else:
        last = await run_in_threadpool(console.store.last_event_id)

    async def stream() -> Any:
        nonlocal last
        yield "retry: 2000\n\n"
        quiet = 0.0
        while not await request.is_disconnected():
            found = await run_in_threadpool(console.store.events_after, last)
            pops = [e for e in found if pop_for(e, department)]
            if found:
                last = found[-1].id
            # Before a pop and at each keepalive: is the session still valid? A user signed
            # out, deactivated or whose password was reset gets nothing more; the stream ends
            # (the browser's reconnect then gets 401).
            if (pops or quiet >= KEEPALIVE_S) and (
                await run_in_threadpool(console.session_for, request) is None
            ):
                return
            for event in pops:
                data = json.dumps(
                    {"ticket": event.ticket_ref, "queue": event.queue}, ensure_ascii=False
                )
                yield f"id: {event.id}\nevent: pop\ndata: {data}\n\n"
                quiet = 0.0
            if quiet >= KEEPALIVE_S:
                quiet = 0.0
                yield ": keepalive\n\n"
            await asyncio.sleep(console.poll_s)
            quiet += console.poll_s

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
