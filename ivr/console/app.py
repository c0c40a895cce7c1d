"""The console's Starlette application: sign-in, roles, CSRF, security headers, routing.

Every page goes through `page(roles)`: no session -> 303 to /login; a role not allowed -> 403;
a POST whose CSRF token does not match the session's -> 403. Only /health, /metrics, /login
and /static are open. Database work runs in the thread pool (the ticket layer is synchronous).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ivr.console import auth, i18n
from ivr.tickets.console_store import ConsoleStore, SessionView

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
SESSION_COOKIE = "ivr_console"
LOGIN_CSRF_COOKIE = "ivr_login_csrf"
LANG_COOKIE = "ivr_lang"
SESSION_HOURS = 12
ALL_ROLES = ("agent", "manager", "admin")
HOME_BY_ROLE = {"agent": "/desk", "manager": "/report", "admin": "/admin"}

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "media-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

Handler = Callable[[Request], Response]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Console:
    """Everything the pages need, built once per process."""

    settings: Any
    tickets: Any  # ivr.tickets.TicketService
    store: ConsoleStore
    secret: bytes
    clock: Callable[[], datetime] = _utcnow
    secure_cookies: bool = False
    poll_s: float = 0.5
    throttle: auth.LoginThrottle = field(init=False)
    env: Environment = field(init=False)

    def __post_init__(self) -> None:
        # Failed sign-ins in the database: every console process on it shares the count.
        self.throttle = auth.LoginThrottle(self.store, lambda: self.clock())
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html", "svg"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    @property
    def tz(self) -> Any:
        return self.tickets.calendar.tz

    def session_for(self, request: Request) -> SessionView | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        return self.store.get_session(auth.token_digest(token), self.clock())

    def locale(self, request: Request) -> str:
        lang = request.cookies.get(LANG_COOKIE, "")
        return lang if lang in i18n.LOCALES else i18n.DEFAULT_LOCALE

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        locale = self.locale(request)
        session: SessionView | None = getattr(request.state, "session", None)
        values = {
            "t": i18n.translator(locale),
            "locale": locale,
            "user": session.user if session else None,
            "csrf": session.csrf_token if session else "",
            "path": request.url.path,
            "local": lambda dt: dt.astimezone(self.tz).strftime("%Y-%m-%d %H:%M") if dt else "",
        }
        values.update(context or {})
        body = self.env.get_template(template).render(**values)
        return HTMLResponse(body, status_code=status_code)

    def audit(self, request: Request, action: str, target: str, before: Any, after: Any) -> None:
        session: SessionView = request.state.session
        self.store.audit(session.user.name, action, target, before, after, self.clock())


def console_of(request: Request) -> Console:
    return request.app.state.console  # type: ignore[no-any-return]


def form_of(request: Request) -> FormData:
    return request.state.form  # type: ignore[no-any-return]


def page(
    roles: Sequence[str] = ALL_ROLES,
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Sign-in, role and CSRF guard around a synchronous handler (run in the thread pool)."""

    def wrap(fn: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            console = console_of(request)
            session = await run_in_threadpool(console.session_for, request)
            if session is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            request.state.session = session
            if session.user.role not in roles:
                t = i18n.translator(console.locale(request))
                return console.render(
                    request, "error.html", {"message": t("forbidden")}, status_code=403
                )
            if request.method == "POST":
                form = await request.form()
                token = str(form.get("csrf") or request.headers.get("x-csrf-token", ""))
                if not token or not auth.same(token, session.csrf_token):
                    log.warning("console: POST %s without a valid CSRF token refused",
                                request.url.path)
                    return PlainTextResponse("CSRF token missing or wrong", status_code=403)
                request.state.form = form
            return await run_in_threadpool(fn, request)

        endpoint.__name__ = fn.__name__
        endpoint.__doc__ = fn.__doc__
        return endpoint

    return wrap


# Open routes ---------------------------------------------------------------------------------


async def console_health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "component": "console"})


async def console_metrics(request: Request) -> Response:
    return PlainTextResponse(
        "# HELP ivr_console_up The console answers.\n# TYPE ivr_console_up gauge\n"
        "ivr_console_up 1\n",
        media_type="text/plain; version=0.0.4",
    )


def _safe_next(value: str) -> str:
    """Only a local path (no scheme, no host, no //): no open redirect after sign-in."""
    parts = urlsplit(value)
    if not value.startswith("/") or value.startswith("//") or parts.scheme or parts.netloc:
        return "/"
    return value


async def login_page(request: Request) -> Response:
    console = console_of(request)
    token = auth.new_token()
    response = console.render(
        request,
        "login.html",
        {"login_csrf": token, "next": _safe_next(request.query_params.get("next", "/"))},
    )
    _set_cookie(console, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


async def login_submit(request: Request) -> Response:
    console = console_of(request)
    form = await request.form()
    t = i18n.translator(console.locale(request))
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    form_token = str(form.get("csrf", ""))
    if not cookie_token or not form_token or not auth.same(cookie_token, form_token):
        return PlainTextResponse("CSRF token missing or wrong", status_code=403)
    name = str(form.get("username", "")).strip()[:64]
    password = str(form.get("password", ""))
    next_path = _safe_next(str(form.get("next", "/")))
    client = request.client.host if request.client else "-"

    def fail(message: str, status: int) -> Response:
        token = auth.new_token()
        response = console.render(
            request,
            "login.html",
            {"login_csrf": token, "next": next_path, "error": message, "username": name},
            status_code=status,
        )
        _set_cookie(console, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
        return response

    wait = await run_in_threadpool(console.throttle.retry_after_s, name, client)
    if wait > 0:
        log.warning("console: sign-in throttled for a user from %s", client)
        return fail(t("login_throttled", s=int(wait) + 1), 429)

    def check() -> tuple[Any, str] | None:
        found = console.store.password_hash(name)
        if found is None:
            auth.burn_time(password)
            return None
        user, stored = found
        if not auth.verify_password(stored, password):
            return None
        if auth.needs_rehash(stored):
            console.store.set_password_hash(user.id, auth.hash_password(password), console.clock())
        token = auth.new_token()
        now = console.clock()
        console.store.create_session(
            user.id,
            auth.token_digest(token),
            auth.new_token(),
            now,
            now + timedelta(hours=SESSION_HOURS),
        )
        console.store.audit(name, "login", name, None, {"client": client}, now)
        return user, token

    result = await run_in_threadpool(check)
    if result is None:
        await run_in_threadpool(console.throttle.failed, name, client)
        log.info("console: failed sign-in from %s", client)
        return fail(t("login_failed"), 401)
    user, token = result
    await run_in_threadpool(console.throttle.succeeded, name)
    target = next_path if next_path != "/" else HOME_BY_ROLE.get(user.role, "/desk")
    response = RedirectResponse(target, status_code=303)
    _set_cookie(console, response, SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


def _set_cookie(console: Console, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=console.secure_cookies,
    )


@page()
def logout(request: Request) -> Response:
    console = console_of(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    console.store.delete_session(auth.token_digest(token))
    session: SessionView = request.state.session
    console.store.audit(session.user.name, "logout", session.user.name, None, None, console.clock())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@page()
def home(request: Request) -> Response:
    session: SessionView = request.state.session
    return RedirectResponse(HOME_BY_ROLE.get(session.user.role, "/desk"), status_code=303)


async def switch_language(request: Request) -> Response:
    to = request.query_params.get("to", i18n.DEFAULT_LOCALE)
    back = _safe_next(request.query_params.get("next", "/"))
    response = RedirectResponse(back, status_code=303)
    if to in i18n.LOCALES:
        response.set_cookie(LANG_COOKIE, to, max_age=365 * 86400, path="/", samesite="lax")
    return response


class SecurityHeaders:
    """Pure ASGI middleware (not BaseHTTPMiddleware, which buffers streaming responses and hides
    client disconnects from the SSE stream): adds the security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in (
                    ("Content-Security-Policy", CSP),
                    ("X-Content-Type-Options", "nosniff"),
                    ("X-Frame-Options", "DENY"),
                    ("Referrer-Policy", "no-referrer"),
                ):
                    headers.setdefault(name, value)
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(console: Console, health: Any = None, metrics: Any = None) -> Starlette:
    """The console; `health` and `metrics` replace its /health and /metrics endpoints (the
    agent reports its own)."""
    from ivr.console import admin, desk, report, users, webhooks_page

    routes = [
        Route("/health", health or console_health),
        Route("/metrics", metrics or console_metrics),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/lang", switch_language),
        Route("/", home),
        *desk.routes(),
        *report.routes(),
        *admin.routes(),
        *users.routes(),
        *webhooks_page.routes(),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(SecurityHeaders)])
    app.state.console = console
    return app


def build_console(
    settings: Any, db_url: str | None = None, tickets: Any = None, **kwargs: Any
) -> Console:
    """A console on the configured (or given) ticket database, or on an agent's running
    TicketService (`tickets`); upgrades SQLite schemas."""
    if tickets is None:
        from ivr.tickets import TicketService

        tickets = TicketService.from_settings(settings, url=db_url)
    return Console(
        settings=settings,
        tickets=tickets,
        store=ConsoleStore(tickets),
        secret=auth.load_secret(settings.data_dir),
        **kwargs,
    )
