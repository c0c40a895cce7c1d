"""Repository of the web console's tables: users, sessions, audit trail, live events.

The console never imports SQLAlchemy; it calls these functions with plain values and gets
frozen dataclasses back. Times are passed in (the console's clock), as elsewhere in ivr.tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, desc, select

from .console_models import (
    ROLES,
    AuditEntry,
    ConsoleEvent,
    ConsoleSession,
    ConsoleUser,
    LoginFailure,
)
from .service import TicketService
from .types import InvalidDraft, TicketNotFound

NAME_MAX = 64


@dataclass(frozen=True)
class UserView:
    id: int
    name: str
    role: str
    department: str | None
    active: bool


@dataclass(frozen=True)
class SessionView:
    user: UserView
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class AuditView:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: Any
    after: Any


@dataclass(frozen=True)
class EventView:
    id: int
    at: datetime
    kind: str
    ticket_ref: str
    queue: str
    target: str


def _user(u: ConsoleUser) -> UserView:
    return UserView(u.id, u.name, u.role, u.department, bool(u.active))


def validate_user(name: str, role: str) -> None:
    if not name or len(name) > NAME_MAX or not name.replace("_", "").replace(".", "").isalnum():
        raise InvalidDraft(
            f"user name {name!r} must be 1..{NAME_MAX} letters, digits, '.' or '_'"
        )
    if role not in ROLES:
        raise InvalidDraft(f"role {role!r} is not one of {', '.join(ROLES)}")


class ConsoleStore:
    """The console's persistence, on the ticket service's engine (same database)."""

    def __init__(self, service: TicketService):
        self.service = service

    # Users -------------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        role: str,
        password_hash: str,
        now: datetime,
        department: str | None = None,
        actor: str = "cli",
        must_be_new: bool = False,
    ) -> UserView:
        """Create a user, or replace the role/password/department of an existing one (so
        `ivr users add` also resets a forgotten password). Audited either way; the audit row
        says that a password was set, never the password or its hash. `must_be_new`: refuse
        an existing name (the web form adds, it does not overwrite)."""
        validate_user(name, role)
        if department is not None and len(department) > 100:
            raise InvalidDraft(f"department {department[:20]!r}... is longer than 100 characters")

        def work(s: Any) -> UserView:
            user = s.scalar(select(ConsoleUser).where(ConsoleUser.name == name))
            before = None
            if user is not None and must_be_new:
                raise InvalidDraft(f"user {name!r} already exists")
            if user is None:
                user = ConsoleUser(name=name, created_at=now, active=True)
                s.add(user)
            else:
                before = {"role": user.role, "department": user.department}
            user.role = role
            user.department = department
            user.password_hash = password_hash
            user.updated_at = now
            user.active = True
            s.flush()
            after = {"role": role, "department": department, "password": "set"}
            s.add(
                AuditEntry(
                    at=now,
                    actor=actor,
                    action="user.add" if before is None else "user.update",
                    target=name,
                    before=before,
                    after=after,
                )
            )
            return _user(user)

        return self.service._read(work)

    def password_hash(self, name: str) -> tuple[UserView, str] | None:
        def work(s: Any) -> tuple[UserView, str] | None:
            user = s.scalar(
                select(ConsoleUser).where(ConsoleUser.name == name).where(ConsoleUser.active)
            )
            return None if user is None else (_user(user), user.password_hash)

        return self.service._read(work)

    def set_password_hash(self, user_id: int, password_hash: str, now: datetime) -> None:
        """Store a re-hashed password (argon2 parameters upgraded); not a change to audit."""

        def work(s: Any) -> None:
            user = s.get(ConsoleUser, user_id)
            if user is not None:
                user.password_hash = password_hash
                user.updated_at = now

        self.service._read(work)

    def _named(self, s: Any, name: str) -> ConsoleUser:
        user = s.scalar(select(ConsoleUser).where(ConsoleUser.name == name))
        if user is None:
            raise TicketNotFound(f"no console user named {name!r}")
        return user  # type: ignore[no-any-return]

    def set_active(self, name: str, active: bool, now: datetime, actor: str = "cli") -> UserView:
        """Deactivate (no sign-in; every open session of the user ends now) or reactivate a
        user. Refused when it would leave no active admin. Audited."""

        def work(s: Any) -> UserView:
            user = self._named(s, name)
            before = bool(user.active)
            if before and not active and user.role == "admin":
                admins = s.scalars(
                    select(ConsoleUser.id)
                    .where(ConsoleUser.active)
                    .where(ConsoleUser.role == "admin")
                ).all()
                if len(admins) <= 1:
                    raise InvalidDraft(f"{name!r} is the last active admin; add another first")
            user.active = active
            user.updated_at = now
            ended = 0
            if not active:
                ended = s.execute(
                    delete(ConsoleSession).where(ConsoleSession.user_id == user.id)
                ).rowcount
            s.add(
                AuditEntry(
                    at=now,
                    actor=actor[:64],
                    action="user.activate" if active else "user.deactivate",
                    target=name,
                    before={"active": before},
                    after={"active": active, **({"sessions_ended": ended} if ended else {})},
                )
            )
            s.flush()
            return _user(user)

        return self.service._read(work)

    def reset_password(
        self, name: str, password_hash: str, now: datetime, actor: str = "cli"
    ) -> UserView:
        """A new password (hash) for a user; their open sessions end (whoever held the old
        password is signed out). Audited without the password or its hash."""

        def work(s: Any) -> UserView:
            user = self._named(s, name)
            user.password_hash = password_hash
            user.updated_at = now
            ended = s.execute(
                delete(ConsoleSession).where(ConsoleSession.user_id == user.id)
            ).rowcount
            s.add(
                AuditEntry(
                    at=now,
                    actor=actor[:64],
                    action="user.reset_password",
                    target=name,
                    before=None,
                    after={"password": "reset", "sessions_ended": ended},
                )
            )
            s.flush()
            return _user(user)

        return self.service._read(work)

    def list_users(self) -> list[UserView]:
        return self.service._read(
            lambda s: [_user(u) for u in s.scalars(select(ConsoleUser).order_by(ConsoleUser.name))]
        )

    def count_users(self, role: str | None = None) -> int:
        def work(s: Any) -> int:
            query = select(ConsoleUser.id).where(ConsoleUser.active)
            if role:
                query = query.where(ConsoleUser.role == role)
            return len(s.scalars(query).all())

        return self.service._read(work)

    # Sessions ----------------------------------------------------------------------------

    def create_session(
        self, user_id: int, token_hash: str, csrf_token: str, now: datetime, expires_at: datetime
    ) -> None:
        def work(s: Any) -> None:
            s.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
            s.add(
                ConsoleSession(
                    token_hash=token_hash,
                    user_id=user_id,
                    csrf_token=csrf_token,
                    created_at=now,
                    expires_at=expires_at,
                )
            )

        self.service._read(work)

    def get_session(self, token_hash: str, now: datetime) -> SessionView | None:
        def work(s: Any) -> SessionView | None:
            row = s.get(ConsoleSession, token_hash)
            if row is None or row.expires_at <= now:
                return None
            user = s.get(ConsoleUser, row.user_id)
            if user is None or not user.active:
                return None
            return SessionView(_user(user), row.csrf_token, row.expires_at)

        return self.service._read(work)

    def delete_session(self, token_hash: str) -> None:
        query = delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash)
        self.service._read(lambda s: s.execute(query))

    # Failed sign-ins (the throttle, shared by every console process) ------------------------

    def login_failures(self, keys: list[str], since: datetime) -> dict[str, list[datetime]]:
        """The failure times after `since` per key, oldest first."""

        def work(s: Any) -> dict[str, list[datetime]]:
            out: dict[str, list[datetime]] = {k: [] for k in keys}
            for key, at in s.execute(
                select(LoginFailure.key, LoginFailure.at)
                .where(LoginFailure.key.in_(keys))
                .where(LoginFailure.at > since)
                .order_by(LoginFailure.at, LoginFailure.id)
            ):
                out[key].append(at)
            return out

        return self.service._read(work)

    def add_login_failure(self, keys: list[str], now: datetime, forget_before: datetime) -> None:
        """Record one failure under each key; rows older than `forget_before` go."""

        def work(s: Any) -> None:
            s.execute(delete(LoginFailure).where(LoginFailure.at <= forget_before))
            s.add_all(LoginFailure(key=k[:200], at=now) for k in keys)

        self.service._read(work)

    def clear_login_failures(self, key: str) -> None:
        query = delete(LoginFailure).where(LoginFailure.key == key)
        self.service._read(lambda s: s.execute(query))

    # Audit -------------------------------------------------------------------------------

    def audit(
        self,
        actor: str,
        action: str,
        target: str,
        before: Any,
        after: Any,
        now: datetime,
    ) -> None:
        self.service._read(
            lambda s: s.add(
                AuditEntry(
                    at=now,
                    actor=actor[:64],
                    action=action[:64],
                    target=target[:200],
                    before=before,
                    after=after,
                )
            )
        )

    def audit_log(self, limit: int = 200) -> list[AuditView]:
        def work(s: Any) -> list[AuditView]:
            rows = s.scalars(select(AuditEntry).order_by(desc(AuditEntry.id)).limit(limit))
            return [
                AuditView(a.id, a.at, a.actor, a.action, a.target, a.before, a.after)
                for a in rows
            ]

        return self.service._read(work)

    # Live events -------------------------------------------------------------------------

    def publish(
        self, kind: str, now: datetime, ticket_ref: str = "", queue: str = "", target: str = ""
    ) -> int:
        def work(s: Any) -> int:
            row = ConsoleEvent(
                at=now,
                kind=kind[:32],
                ticket_ref=ticket_ref[:64],
                queue=queue[:100],
                target=target[:200],
            )
            s.add(row)
            s.flush()
            return int(row.id)

        return self.service._read(work)

    def events_after(self, last_id: int, limit: int = 100) -> list[EventView]:
        def work(s: Any) -> list[EventView]:
            rows = s.scalars(
                select(ConsoleEvent)
                .where(ConsoleEvent.id > last_id)
                .order_by(ConsoleEvent.id)
                .limit(limit)
            )
            return [EventView(e.id, e.at, e.kind, e.ticket_ref, e.queue, e.target) for e in rows]

        return self.service._read(work)

    def last_event_id(self) -> int:
        def work(s: Any) -> int:
            value = s.scalar(select(ConsoleEvent.id).order_by(desc(ConsoleEvent.id)).limit(1))
            return int(value or 0)

        return self.service._read(work)

    def transferred_to(self, queue: str, limit: int = 1000) -> set[str]:
        """Ticket refs (short ids, as in X-Ticket-Id) the bot transferred to this queue."""

        def work(s: Any) -> set[str]:
            rows = s.scalars(
                select(ConsoleEvent.ticket_ref)
                .where(ConsoleEvent.kind == "transfer")
                .where(ConsoleEvent.queue == queue)
                .order_by(desc(ConsoleEvent.id))
                .limit(limit)
            )
            return {r for r in rows if r}

        return self.service._read(work)
