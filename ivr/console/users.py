"""The admin's users page: add a user (role, department), reset a password, deactivate and
reactivate. A password the admin leaves blank is generated and shown once, on the answer to
that POST only (never stored in clear, never audited, never in a URL)."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.console import auth, i18n
from ivr.console.app import console_of, form_of, page

ADMIN_ROLES = ("admin",)
GENERATED_BYTES = 12  # 16 URL-safe characters, above the 10-character policy


def routes() -> list[Route]:
    return [Route("/admin/users", users_page, methods=["GET", "POST"])]


def temporary_password(typed: str) -> tuple[str, bool]:
    """The admin's password, or a generated one (True: show it once)."""
    if typed:
        return typed, False
    return secrets.token_urlsafe(GENERATED_BYTES), True


@page(ADMIN_ROLES)
def users_page(request: Request) -> Response:
    from ivr.tickets import TicketError

    console = console_of(request)
    store = console.store
    t = i18n.translator(console.locale(request))
    context: dict[str, Any] = {"error": "", "shown_password": None, "done": ""}
    if request.method == "POST":
        form = form_of(request)
        op = str(form.get("op", ""))
        name = str(form.get("name", "")).strip()
        actor = request.state.session.user.name
        now = console.clock()
        try:
            if op == "add":
                password, generated = temporary_password(str(form.get("password", "")))
                department = str(form.get("department", "")).strip() or None
                store.add_user(name, str(form.get("role", "")), auth.hash_password(password),
                               now, department=department, actor=actor, must_be_new=True)
                context["done"] = t("user_added", name=name)
                if generated:
                    context["shown_password"] = (name, password)
            elif op == "reset":
                password, generated = temporary_password(str(form.get("password", "")))
                store.reset_password(name, auth.hash_password(password), now, actor=actor)
                context["done"] = t("password_reset_done", name=name)
                if generated:
                    context["shown_password"] = (name, password)
            elif op == "deactivate" and name == actor:
                context["error"] = t("cannot_deactivate_self")
            elif op in ("deactivate", "activate"):
                store.set_active(name, op == "activate", now, actor=actor)
                context["done"] = t(f"user_{op}d", name=name)
        except (TicketError, auth.WeakPassword) as exc:
            context["error"] = str(exc)
    context["users"] = store.list_users()
    return console.render(request, "admin_users.html", context)
