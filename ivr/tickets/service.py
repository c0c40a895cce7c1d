"""TicketService: the one object the session and the CLI talk to.

Synchronous and thread-safe. Writes that come from a call (open_ticket, record_call,
set_satisfaction) never fail for an outage: when the database refuses or is unreachable, the
entry goes to the fsync'd journal and is replayed later, idempotently. Lifecycle changes and
reads come from people at the CLI, so an outage there raises DatabaseUnavailable instead.

This is the service boundary: it is the only place in ivr.tickets that reads the clock (when a
caller passes no `now`); everything below it takes time as an argument.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from . import blacklist
from . import db as dbmod
from .journal import Journal, RejectEntry, ReplayStats
from .lifecycle import transition
from .models import CallRecord, Ticket, TicketEvent
from .privacy import DEFAULT_NUMBER_KEY_ENV, NumberProtector, remove_legacy_pepper
from .reports import (
    CLOSING_PROMPTS,
    CallFacts,
    MonthlyReport,
    TicketFacts,
    build_report,
    status_as_of,
)
from .sla import (
    Calendar,
    Commitment,
    calendar_from_settings,
    commitment_for,
    commitments_from_settings,
    default_commitments,
)
from .sla import promised_reply_by as compute_promise
from .types import (
    CATEGORIES,
    END_REASONS,
    REFERENCE_DIGITS,
    STATUSES,
    CallFilters,
    CallRecordDraft,
    CallView,
    DatabaseUnavailable,
    InvalidDraft,
    TicketDraft,
    TicketEventView,
    TicketFilters,
    TicketNotFound,
    TicketReceipt,
    TicketView,
    reference_number,
    short_id,
    ticket_uuid,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

SYSTEM_ACTOR = "ivr"
DEFAULT_BLACKLIST_DAYS = 30
DEFAULT_RETRY_AFTER_S = 2.0  # after a failure, journal straight away for this long
MIN_PREFIX_LENGTH = 4
RECORDING_PURGE_EVERY_S = 3600.0
RECORDING_TRANSCRIPT_LABEL = "[recording]"  # marks the post-call transcript in the ticket
RECORDINGS_SUBDIR = "recordings"  # in the data directory, as the session writes them
LIVE_SUFFIX = ".live"  # ivr.session.recording: flock-held while the call goes on
# A recording this young may belong to a call that just ended and whose record is on its way.
ORPHAN_MIN_AGE_S = 60.0
_RECORDING_NAME = re.compile(
    r"(?P<call>[0-9A-Za-z_.]{1,200})-(?P<purpose>[a-z_]{1,32})-(?P<index>[0-9]{1,6}|partial)\.wav"
)
UNCONFIRMED_SUMMARY = (
    "unconfirmed: recorded when the agent stopped mid-call; listen to the recording"
)
UNCONFIRMED_NOTE = "unconfirmed: the caller never confirmed it (the agent stopped mid-call)"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class _Outcome:
    created: bool


class TicketService:
    """The complaint register.

    TicketService(url, data_dir, calendar, commitments, number_key) builds it without touching
    the database; start() upgrades the schema (automatically for SQLite; PostgreSQL only when
    auto_upgrade=True, else run `ivr db upgrade`) and replays the journal. from_settings()
    does both from the validated config.
    """

    def __init__(
        self,
        url: str,
        data_dir: Path,
        calendar: Calendar | None = None,
        commitments: Mapping[str, Commitment] | None = None,
        number_key: str | None = None,
        *,
        number_key_env: str = DEFAULT_NUMBER_KEY_ENV,
        blacklist_days: int = DEFAULT_BLACKLIST_DAYS,
        recording_retention_days: int | None = None,
        auto_upgrade: bool | None = None,
        retry_after_s: float = DEFAULT_RETRY_AFTER_S,
        pool_size: int = 10,
        call_busy_timeout_ms: int = dbmod.CALL_BUSY_TIMEOUT_MS,
        orphan_min_age_s: float = ORPHAN_MIN_AGE_S,
    ):
        # before anything is logged: a typo is refused first (only the data dir may be made)
        dbmod.check_url(url, create_dir=Path(data_dir))
        self.url = url
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.calendar = calendar or Calendar()
        table = default_commitments() if commitments is None else commitments
        self.commitments: dict[str, Commitment] = {str(k): v for k, v in table.items()}
        self.protector = NumberProtector(number_key or None, number_key_env)
        self._lookups_warned = False
        self.blacklist_days = blacklist_days
        self.recording_retention_days = recording_retention_days
        self.auto_upgrade = dbmod.is_sqlite(url) if auto_upgrade is None else auto_upgrade
        self.retry_after_s = retry_after_s
        self.orphan_min_age_s = orphan_min_age_s
        self.engine = dbmod.make_engine(url, pool_size=pool_size, create_dir=self.data_dir)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # For a caller on the line: SQLite waits for a lock only briefly, then the journal
        # takes the entry (PostgreSQL locks rows, not the file: one engine serves both paths).
        self._call_engine = (
            dbmod.make_engine(url, pool_size=pool_size, busy_timeout_ms=call_busy_timeout_ms)
            if dbmod.is_sqlite(url) else self.engine
        )
        self._call_sessions = sessionmaker(self._call_engine, expire_on_commit=False)
        self.journal = Journal(self.data_dir)
        self._down_until = 0.0
        self._state_lock = threading.Lock()
        self._schema_ready = not self.auto_upgrade
        self._stop = threading.Event()
        self._replayer: threading.Thread | None = None

    # Construction -----------------------------------------------------------------------------

    @classmethod
    def from_settings(
        cls, settings: Any, *, start: bool = True, url: str | None = None, **overrides: Any
    ) -> TicketService:
        """Build from ivr.config.Settings (business, commitments, database, privacy, paths);
        `url` overrides settings.database_url; start=True runs start()."""
        calendar = calendar_from_settings(settings)
        commitments = commitments_from_settings(settings)
        env_name = settings.privacy.number_key_env
        kwargs: dict[str, Any] = {
            "number_key_env": env_name,
            "blacklist_days": settings.harassment.blacklist_days,
            "recording_retention_days": settings.privacy.recording_retention_days,
        }
        kwargs.update(overrides)
        service = cls(
            url or settings.database_url,
            settings.data_dir,
            calendar,
            commitments,
            os.environ.get(env_name) or None,
            **kwargs,
        )
        return service.start() if start else service

    def start(self) -> TicketService:
        """Upgrade the schema if this service owns it, then replay the journal. An unreachable
        database is logged, not raised: tickets will be journaled until it comes back."""
        remove_legacy_pepper(self.data_dir)
        if not self.journal.ensure_reserve():
            log.error(
                "no room for the ticket journal's reserve in %s: on a full disk a ticket "
                "could be lost; free some space",
                self.data_dir,
            )
        self._ensure_schema()
        try:
            self.replay_journal()
        except SQLAlchemyError as exc:
            log.warning("journal replay at start failed: %s", _brief(exc))
        return self

    def _adopt_quietly(self) -> None:
        try:
            self.adopt_orphan_recordings()
        except (DatabaseUnavailable, SQLAlchemyError, OSError) as exc:
            log.warning("orphan recordings not checked: %s", exc)

    def _ensure_schema(self) -> bool:
        if self._schema_ready:
            return True
        try:
            dbmod.upgrade(self.engine)
        except SQLAlchemyError as exc:
            self._mark_down(exc)
            return False
        self._schema_ready = True
        return True

    def shutdown(self) -> None:
        """Stop the replayer thread and release database connections."""
        self._stop.set()
        if self._replayer is not None:
            self._replayer.join(timeout=10)
            self._replayer = None
        self.engine.dispose()
        if self._call_engine is not self.engine:
            self._call_engine.dispose()

    def __enter__(self) -> TicketService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # Database helpers ------------------------------------------------------------------------

    @contextmanager
    def _session(self, for_call: bool = False) -> Iterator[Session]:
        """A transaction; `for_call` when a caller is waiting (short SQLite busy timeout)."""
        factory = self._call_sessions if for_call else self._sessions
        with factory() as session, session.begin():
            yield session

    def _db_available(self) -> bool:
        with self._state_lock:
            return time.monotonic() >= self._down_until

    def _mark_down(self, exc: BaseException) -> None:
        with self._state_lock:
            was_up = time.monotonic() >= self._down_until
            self._down_until = time.monotonic() + self.retry_after_s
        if was_up:
            log.warning(
                "ticket database %s unavailable, journaling: %s",
                dbmod.redacted_url(self.url),
                _brief(exc),
            )

    def _mark_up(self) -> None:
        with self._state_lock:
            self._down_until = 0.0

    def _read(self, fn: Callable[[Session], T]) -> T:
        try:
            with self._session() as session:
                return fn(session)
        except SQLAlchemyError as exc:
            raise DatabaseUnavailable(
                f"ticket database {dbmod.redacted_url(self.url)} is not available: {_brief(exc)}"
            ) from exc

    # Tickets from calls -------------------------------------------------------------------------

    def promise_for(self, category: str, severity: str, opened_at: datetime) -> datetime | None:
        commitment = commitment_for(category, severity, self.commitments)
        return compute_promise(opened_at, commitment, self.calendar)

    def open_ticket(self, draft: TicketDraft) -> TicketReceipt:
        """Register a ticket; idempotent by (call_id, category). Never loses it: when the
        database is down the ticket is journaled and the receipt says journaled=True."""
        draft.validate()
        row = self._ticket_row(draft)
        receipt_args = {
            "ticket_id": row["id"],
            "short_id": short_id(row["id"]),
            "promised_reply_by": _from_iso(row["promised_reply_by"]),
        }
        if self._db_available() and self._ensure_schema():
            try:
                outcome = self._insert_ticket(row, for_call=True)
            except SQLAlchemyError as exc:
                self._mark_down(exc)
            else:
                log.info(
                    "call %s: ticket %s %s (%s)",
                    draft.call_id,
                    receipt_args["short_id"],
                    "opened" if outcome.created else "already open",
                    draft.category,
                )
                return TicketReceipt(**receipt_args, created=outcome.created)
        self.journal.append("ticket", row)
        log.info(
            "call %s: ticket %s journaled (%s)",
            draft.call_id,
            receipt_args["short_id"],
            draft.category,
        )
        return TicketReceipt(**receipt_args, journaled=True)

    def _ticket_row(self, draft: TicketDraft) -> dict[str, Any]:
        protected = self.protector.protect(draft.caller_number)
        promise = self.promise_for(draft.category, draft.severity, draft.opened_at)
        return {
            "id": ticket_uuid(draft.call_id, draft.category),
            "call_id": draft.call_id,
            "category": draft.category,
            "severity": draft.severity,
            "caller_title": _cut(draft.caller_title, 32),
            "caller_surname": self.protector.seal(_cut(draft.caller_surname, 64)),
            "caller_number_enc": protected.encrypted if protected else None,
            "caller_number_hash": protected.hashed if protected else None,
            "caller_number_masked": protected.masked if protected else None,
            "summary": draft.summary,
            "transcript": self.protector.seal(draft.transcript),
            "recording_path": draft.recording_path,
            "level_dbfs": draft.level_dbfs,
            "noise_dbfs": draft.noise_dbfs,
            "snr_db": draft.snr_db,
            "department": _cut(draft.department, 100),
            "notes": draft.notes,
            "opened_at": draft.opened_at.isoformat(),
            "promised_reply_by": _iso(promise),
        }

    def _insert_ticket(self, row: dict[str, Any], for_call: bool = False) -> _Outcome:
        opened_at = datetime.fromisoformat(row["opened_at"])
        values = _without_unkeyed_hash(row)
        values["opened_at"] = opened_at
        values["promised_reply_by"] = _from_iso(row["promised_reply_by"])
        values["status"] = "new"
        values["created_at"] = opened_at
        values["updated_at"] = opened_at
        try:
            with self._session(for_call) as session:
                if session.get(Ticket, row["id"]) is not None:
                    return _Outcome(created=False)
                ticket = Ticket(**values)
                ticket.events.append(
                    TicketEvent(
                        at=opened_at,
                        actor=SYSTEM_ACTOR,
                        action="open",
                        from_status=None,
                        to_status="new",
                        note="",
                    )
                )
                session.add(ticket)
        except IntegrityError:
            # Another writer inserted the same (call_id, category) between our check and insert.
            with self._session(for_call) as session:
                if session.get(Ticket, row["id"]) is not None:
                    return _Outcome(created=False)
            raise
        return _Outcome(created=True)

    def record_call(self, record: CallRecordDraft) -> None:
        """One row per call (idempotent by call_id); journaled when the database is down."""
        record.validate()
        protected = self.protector.protect(record.caller_number)
        row = {
            "call_id": record.call_id,
            "caller_number_enc": protected.encrypted if protected else None,
            "caller_number_hash": protected.hashed if protected else None,
            "caller_number_masked": protected.masked if protected else None,
            "answered_at": record.answered_at.isoformat(),
            "ended_at": record.ended_at.isoformat(),
            "end_reason": record.end_reason,
            "prompts_played": list(record.prompts_played),
            "transfer_target": _cut(record.transfer_target, 200),
            "silent_s": float(record.silent_s),
            "low_volume_s": float(record.low_volume_s),
            "noisy_s": float(record.noisy_s),
            "ticket_ids": list(record.ticket_ids),
            "sip_call_id": _cut(record.sip_call_id, 200),
            "worker_id": int(record.worker_id),
        }
        if self._db_available() and self._ensure_schema():
            try:
                self._insert_call(row, for_call=True)
                return
            except SQLAlchemyError as exc:
                self._mark_down(exc)
        self.journal.append("call", row)
        log.info("call %s: call record journaled", record.call_id)

    def _insert_call(self, row: dict[str, Any], for_call: bool = False) -> bool:
        values = _without_unkeyed_hash(row)
        values["answered_at"] = datetime.fromisoformat(row["answered_at"])
        values["ended_at"] = datetime.fromisoformat(row["ended_at"])
        try:
            with self._session(for_call) as session:
                exists = session.scalar(
                    select(CallRecord.id).where(CallRecord.call_id == row["call_id"])
                )
                if exists is not None:
                    return False
                session.add(CallRecord(**values))
        except IntegrityError:
            with self._session(for_call) as session:
                if (
                    session.scalar(
                        select(CallRecord.id).where(CallRecord.call_id == row["call_id"])
                    )
                    is not None
                ):
                    return False
            raise
        return True

    def set_satisfaction(self, ticket_id: str, score: int, now: datetime | None = None) -> None:
        """The caller's survey answer (1..5). Needs the full ticket id (as in the receipt);
        journaled when the database is down."""
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidDraft(f"satisfaction score must be an integer 1..5, got {score!r}")
        row = {"ticket_id": ticket_id, "score": score, "at": (now or _utcnow()).isoformat()}
        if self._db_available() and self._ensure_schema():
            try:
                if self._apply_satisfaction(row, for_call=True):
                    return
                raise TicketNotFound(f"no ticket with id {ticket_id}")
            except SQLAlchemyError as exc:
                self._mark_down(exc)
        self.journal.append("satisfaction", row)

    def _apply_satisfaction(self, row: dict[str, Any], for_call: bool = False) -> bool:
        with self._session(for_call) as session:
            ticket = session.get(Ticket, row["ticket_id"])
            if ticket is None:
                return False
            ticket.satisfaction = int(row["score"])
            ticket.updated_at = datetime.fromisoformat(row["at"])
        return True

    def add_transcript(self, ticket_id: str, text: str, now: datetime | None = None) -> None:
        """The post-call full-vocabulary transcript of the ticket's recording, added after what
        was recognised live (journaled like the other updates when the database is down)."""
        if not text.strip():
            return
        row = {"ticket_id": ticket_id, "text": self.protector.seal(text.strip()),
               "at": (now or _utcnow()).isoformat()}
        if self._db_available() and self._ensure_schema():
            try:
                if self._apply_transcript(row):
                    return
                raise TicketNotFound(f"no ticket with id {ticket_id}")
            except SQLAlchemyError as exc:
                self._mark_down(exc)
        self.journal.append("transcript", row)

    def _apply_transcript(self, row: dict[str, Any]) -> bool:
        with self._session() as session:
            ticket = session.get(Ticket, row["ticket_id"])
            if ticket is None:
                return False
            label = f"{RECORDING_TRANSCRIPT_LABEL} {self.protector.unseal(row['text'])}"
            before = self.protector.unseal(ticket.transcript) or ""
            if label not in before:  # a replayed entry is applied once
                whole = "\n".join(p for p in (before, label) if p)
                ticket.transcript = self.protector.seal(whole) or ""
            ticket.updated_at = datetime.fromisoformat(row["at"])
        return True

    def set_contact_number(self, ticket_id: str, number: str, now: datetime | None = None) -> None:
        """The callback number the caller confirmed, stored like the caller number: encrypted
        and masked, never in the clear (journaled the same way when the database is down)."""
        digits = number.strip()
        if not digits.lstrip("+").isdigit() or not 3 <= len(digits.lstrip("+")) <= 20:
            raise InvalidDraft(f"contact number must be 3..20 digits, got {len(digits)} "
                               "characters")  # never the value: it is a phone number
        protected = self.protector.protect(digits)
        assert protected is not None
        row = {"ticket_id": ticket_id, "enc": protected.encrypted, "masked": protected.masked,
               "at": (now or _utcnow()).isoformat()}
        if self._db_available() and self._ensure_schema():
            try:
                if self._apply_contact_number(row, for_call=True):
                    return
                raise TicketNotFound(f"no ticket with id {ticket_id}")
            except SQLAlchemyError as exc:
                self._mark_down(exc)
        self.journal.append("contact_number", row)

    def _apply_contact_number(self, row: dict[str, Any], for_call: bool = False) -> bool:
        with self._session(for_call) as session:
            ticket = session.get(Ticket, row["ticket_id"])
            if ticket is None:
                return False
            ticket.contact_number_enc = row["enc"]
            ticket.contact_number_masked = row["masked"]
            ticket.updated_at = datetime.fromisoformat(row["at"])
        return True

    def contact_number(self, ticket_id: str) -> str | None:
        """The callback number in full (for the desk that calls back), None without the key."""
        with self._session() as session:
            ticket = session.get(Ticket, ticket_id)
            return None if ticket is None else self.protector.reveal(ticket.contact_number_enc)

    def is_blacklisted(self, caller_number: str | None, now: datetime | None = None) -> bool:
        """True when this number has a harassment ticket opened within blacklist_days (not lifted
        by an admin since) or an admin's block. False (and a warning) when the database is
        unreachable: a call is never blocked on it."""
        if not caller_number:
            return False
        at = now or _utcnow()
        digest = self._lookup_hash(caller_number, "blacklist")
        if digest is None:
            return False
        try:
            with self._session(for_call=True) as session:
                entries, opened = self._blacklist_facts(session, digest, at)
        except SQLAlchemyError as exc:
            log.warning("blacklist look-up skipped, database unavailable: %s", _brief(exc))
            return False
        return blacklist.blocked(entries, opened, at, self.blacklist_days)

    def _blacklist_facts(
        self, session: Session, digest: str, now: datetime
    ) -> tuple[list[blacklist.EntryFacts], list[datetime]]:
        from .console_models import BlacklistEntry

        entries = [
            blacklist.EntryFacts(e.kind, e.at, e.reason, e.actor, e.number_masked)
            for e in session.scalars(
                select(BlacklistEntry)
                .where(BlacklistEntry.number_hash == digest)
                .order_by(BlacklistEntry.id)
            )
        ]
        since = now - timedelta(days=max(self.blacklist_days, 0))
        opened = list(
            session.scalars(
                select(Ticket.opened_at)
                .where(Ticket.caller_number_hash == digest)
                .where(Ticket.category == "harassment")
                .where(Ticket.opened_at >= since)
            )
        )
        return entries, opened

    def blacklist_add(
        self, caller_number: str, reason: str, actor: str, now: datetime | None = None
    ) -> str:
        """An admin's block of a number (kept until lifted); returns the masked number."""
        from ivr.masking import mask_number

        if not caller_number.strip() or not any(ch.isdigit() for ch in caller_number):
            raise InvalidDraft(f"{caller_number!r} is not a phone number")
        if not reason.strip():
            raise InvalidDraft("blocking a number needs a reason")
        masked = mask_number(caller_number.strip())
        digest = self.protector.hash(caller_number.strip())
        if digest is None:
            raise InvalidDraft(
                f"blocking a number needs the caller-number key (env {self.protector.env_name}): "
                "without it no number is stored in a form that can be matched"
            )
        self._blacklist_row(digest, masked, "block", reason, actor, now)
        return masked

    def blacklist_lift(
        self, number_hash: str, reason: str, actor: str, now: datetime | None = None
    ) -> None:
        """Unblock a number (manual block or harassment tickets so far), by its hash."""
        if not reason.strip():
            raise InvalidDraft("lifting a block needs a reason")
        self._blacklist_row(number_hash, None, "lift", reason, actor, now)

    def _blacklist_row(
        self, digest: str, masked: str | None, kind: str, reason: str, actor: str,
        now: datetime | None,
    ) -> None:
        from .console_models import BlacklistEntry

        at = now or _utcnow()

        def work(session: Session) -> None:
            shown = masked
            if shown is None:
                shown = session.scalar(
                    select(BlacklistEntry.number_masked)
                    .where(BlacklistEntry.number_hash == digest).limit(1)
                ) or session.scalar(
                    select(Ticket.caller_number_masked)
                    .where(Ticket.caller_number_hash == digest).limit(1)
                ) or ""
            session.add(
                BlacklistEntry(
                    number_hash=digest[:64], number_masked=shown[:64], kind=kind,
                    reason=reason.strip()[: blacklist.REASON_MAX], actor=actor[:64], at=at,
                )
            )

        self._read(work)
        log.info("blacklist: %s by %s", kind, actor[:64])

    def blacklist_view(self, now: datetime | None = None) -> list[blacklist.BlacklistView]:
        """Every number blocked at `now`: manual blocks and recent harassment tickets."""
        from .console_models import BlacklistEntry

        at = now or _utcnow()
        since = at - timedelta(days=max(self.blacklist_days, 0))

        def work(session: Session) -> list[blacklist.BlacklistView]:
            hashes = set(session.scalars(select(BlacklistEntry.number_hash)))
            recent = {
                t.caller_number_hash: t
                for t in session.scalars(
                    select(Ticket)
                    .where(Ticket.category == "harassment")
                    .where(Ticket.opened_at >= since)
                    .where(Ticket.caller_number_hash.is_not(None))
                    .order_by(Ticket.opened_at)
                )
            }
            out = []
            for digest in sorted(hashes | {h for h in recent if h}):
                entries, opened = self._blacklist_facts(session, digest, at)
                if not blacklist.blocked(entries, opened, at, self.blacklist_days):
                    continue
                if entries and entries[-1].kind == "block":
                    e = entries[-1]
                    out.append(blacklist.BlacklistView(
                        digest, e.number_masked, "manual", e.at, e.reason, e.actor))
                else:
                    t = recent[digest]
                    out.append(blacklist.BlacklistView(
                        digest, t.caller_number_masked or "", "harassment", t.opened_at,
                        t.summary[:200], SYSTEM_ACTOR, short_id(t.id)))
            return sorted(out, key=lambda v: v.since, reverse=True)

        return self._read(work)

    def repeat_calls(self, caller_number: str, since: datetime) -> int:
        """How many tickets this number opened since `since` (repeat-caller look-up); 0 without
        the key, when no number is stored in a matchable form."""
        digest = self._lookup_hash(caller_number, "repeat-caller")
        if digest is None:
            return 0
        return self._read(
            lambda s: int(
                s.scalar(
                    select(func.count(Ticket.id))
                    .where(Ticket.caller_number_hash == digest)
                    .where(Ticket.opened_at >= since)
                )
                or 0
            )
        )

    def _lookup_hash(self, caller_number: str, what: str) -> str | None:
        digest = self.protector.hash(caller_number)
        if digest is None and not self._lookups_warned:
            self._lookups_warned = True
            log.warning(
                "%s look-up skipped: it needs the caller-number key (env %s); without it no "
                "number is stored in a form that can be matched",
                what,
                self.protector.env_name,
            )
        return digest

    # Journal ---------------------------------------------------------------------------------

    def replay_journal(self) -> int:
        """Apply journaled entries to the database; returns how many are now in it."""
        return self.replay_journal_stats().applied

    def replay_journal_stats(self) -> ReplayStats:
        if not self._ensure_schema():
            return ReplayStats(kept=self.journal.pending_count())
        failed = False

        def apply(kind: str, data: dict[str, Any]) -> bool:
            nonlocal failed
            if failed:
                return False  # the database went away during this replay: keep the rest
            try:
                if kind == "ticket":
                    self._insert_ticket(data)
                elif kind == "call":
                    self._insert_call(data)
                elif kind == "transcript":
                    if not self._apply_transcript(data):
                        log.warning("journaled transcript for unknown ticket %s dropped",
                                    short_id(str(data.get("ticket_id", ""))))
                elif kind == "contact_number":
                    if not self._apply_contact_number(data):
                        log.warning("journaled contact number for unknown ticket %s dropped",
                                    short_id(str(data.get("ticket_id", ""))))
                elif not self._apply_satisfaction(data):
                    log.warning(
                        "journaled satisfaction for unknown ticket %s dropped",
                        short_id(str(data.get("ticket_id", ""))),
                    )
                return True
            except (IntegrityError, DataError) as exc:
                # The data itself is refused (not an outage): set it aside, go on with the rest.
                raise RejectEntry(_brief(exc)) from exc
            except SQLAlchemyError as exc:
                failed = True
                self._mark_down(exc)
                return False
            except (KeyError, TypeError, ValueError) as exc:
                raise RejectEntry(f"malformed entry: {type(exc).__name__}: {exc}") from exc

        stats = self.journal.replay(apply)
        if not failed:
            self._mark_up()
        return stats

    def start_replayer(self, interval_s: float = 30.0) -> threading.Thread:
        """A daemon thread that replays the journal every interval_s (and purges recordings
        older than the retention once an hour when a retention is set). Logs its exceptions;
        stopped by shutdown()."""
        if self._replayer is not None and self._replayer.is_alive():
            return self._replayer
        # Only the agent's register adopts orphan recordings: a reader (CLI, console, another
        # database's tools sharing the data dir) must never turn them into its own tickets.
        self._adopt_quietly()

        def loop() -> None:
            last_purge = 0.0
            last_adopt = time.monotonic()  # just done above
            while not self._stop.wait(interval_s):
                try:
                    if self.journal.pending_count():
                        self.replay_journal()
                    if (
                        self.recording_retention_days
                        and time.monotonic() - last_purge >= RECORDING_PURGE_EVERY_S
                    ):
                        last_purge = time.monotonic()
                        self.purge_recordings()
                    if time.monotonic() - last_adopt >= RECORDING_PURGE_EVERY_S:
                        last_adopt = time.monotonic()
                        self._adopt_quietly()
                except Exception:  # a background thread must log, never die silently
                    log.exception("ticket journal replayer: unexpected error")

        self._stop.clear()
        self._replayer = threading.Thread(target=loop, name="ticket-replayer", daemon=True)
        self._replayer.start()
        return self._replayer

    # Orphan recordings ---------------------------------------------------------------------

    def adopt_orphan_recordings(self, now: float | None = None) -> list[TicketReceipt]:
        """Open an unconfirmed ticket for each call whose recordings have no ticket and no call
        record while its agent is gone (the recorder's live lock is free) and the newest file is
        older than orphan_min_age_s: an agent killed mid-call (say, before the caller confirmed
        the complaint) leaves them. Idempotent; nothing is deleted. Skipped while the journal
        holds entries (a journaled call record may explain a recording)."""
        folder = self.data_dir / RECORDINGS_SUBDIR
        if not folder.is_dir() or self.journal.pending_count():
            return []
        at = time.time() if now is None else now
        calls: dict[str, list[tuple[float, Path, str]]] = {}
        for path in folder.glob("*.wav"):
            match = _RECORDING_NAME.fullmatch(path.name)
            if match is None or path.is_symlink() or not path.is_file():
                continue
            calls.setdefault(match["call"], []).append(
                (path.stat().st_mtime, path, match["purpose"])
            )
        candidates = {
            call_id: files
            for call_id, files in calls.items()
            if at - max(f[0] for f in files) >= self.orphan_min_age_s
            and not _live(folder / f"{call_id}{LIVE_SUFFIX}")
        }
        if not candidates:
            return []
        known = self._read(lambda s: self._calls_known(s, list(candidates)))
        receipts = []
        for call_id in sorted(set(candidates) - known):
            mtime, path, purpose = max(candidates[call_id])
            receipts.append(
                self.open_ticket(
                    TicketDraft(
                        call_id=call_id,
                        category=purpose if purpose in CATEGORIES else "complaint",
                        opened_at=datetime.fromtimestamp(mtime, timezone.utc),
                        summary=UNCONFIRMED_SUMMARY,
                        recording_path=str(path),
                        notes=UNCONFIRMED_NOTE,
                    )
                )
            )
            (folder / f"{call_id}{LIVE_SUFFIX}").unlink(missing_ok=True)
        if receipts:
            log.warning(
                "%d recording(s) left by an agent stopped mid-call: opened as unconfirmed "
                "ticket(s) %s",
                len(receipts),
                " ".join(r.short_id for r in receipts),
            )
        return receipts

    @staticmethod
    def _calls_known(session: Session, call_ids: list[str]) -> set[str]:
        known: set[str] = set()
        for i in range(0, len(call_ids), 500):
            chunk = call_ids[i : i + 500]
            known.update(session.scalars(select(CallRecord.call_id).where(
                CallRecord.call_id.in_(chunk))))
            known.update(session.scalars(select(Ticket.call_id).where(Ticket.call_id.in_(chunk))))
        return known

    # Lifecycle (agents, CLI) ---------------------------------------------------------------

    def _resolve_ref(self, session: Session, ref: str) -> Ticket:
        ref = ref.strip().lower()
        by_reference = _by_reference(session, ref)
        if by_reference is not None:
            return by_reference
        if len(ref) == 36:
            ticket = session.get(Ticket, ref)
            if ticket is None:
                raise TicketNotFound(f"no ticket with id {ref}")
            return ticket
        if len(ref.replace("-", "")) < MIN_PREFIX_LENGTH or not all(
            ch in "0123456789abcdef-" for ch in ref
        ):
            raise TicketNotFound(
                f"{ref!r} is not a ticket id: give at least {MIN_PREFIX_LENGTH} hex digits "
                "of the id (the 8 shown in listings are enough)"
            )
        found = session.scalars(select(Ticket).where(Ticket.id.like(ref + "%")).limit(6)).all()
        if not found:
            raise TicketNotFound(f"no ticket id starts with {ref!r}")
        if len(found) > 1:
            shown = ", ".join(short_id(t.id) for t in found[:5])
            raise TicketNotFound(f"ticket id prefix {ref!r} is ambiguous: {shown} ...")
        return found[0]

    def _change(
        self,
        ref: str,
        action: str,
        actor: str,
        note: str,
        now: datetime | None,
        department: str | None = None,
    ) -> TicketView:
        at = now or _utcnow()
        actor = actor[:64]

        def work(session: Session) -> TicketView:
            ticket = self._resolve_ref(session, ref)
            has_department = bool(department or ticket.department)
            to = transition(action, ticket.status, has_department, short_id(ticket.id))
            from_status = ticket.status
            ticket.status = to
            ticket.updated_at = at
            if action == "dispatch":
                ticket.department = department
                ticket.dispatched_at = ticket.dispatched_at or at
            elif action == "resolve":
                ticket.resolved_at = at
                ticket.replied_at = ticket.replied_at or at
            elif action == "close":
                ticket.closed_at = at
            elif action == "reopen":
                ticket.resolved_at = None
                ticket.closed_at = None
            ticket.events.append(
                TicketEvent(
                    at=at,
                    actor=actor,
                    action=action if not department else f"{action}:{department}"[:32],
                    from_status=from_status,
                    to_status=to,
                    note=note,
                )
            )
            session.flush()
            log.info("ticket %s: %s -> %s by %s", short_id(ticket.id), from_status, to, actor)
            return self._view(ticket, reveal=False, with_events=True)

        return self._read(work)

    def dispatch(
        self,
        ref: str,
        department: str,
        actor: str = "agent",
        note: str = "",
        now: datetime | None = None,
    ) -> TicketView:
        if not department or not department.strip() or len(department.strip()) > 100:
            raise InvalidDraft(
                f"dispatch needs a department name of 1..100 characters, got {department!r}"
            )
        return self._change(ref, "dispatch", actor, note, now, department=department.strip())

    def resolve(
        self, ref: str, note: str = "", actor: str = "agent", now: datetime | None = None
    ) -> TicketView:
        return self._change(ref, "resolve", actor, note, now)

    def close(
        self, ref: str, actor: str = "agent", note: str = "", now: datetime | None = None
    ) -> TicketView:
        return self._change(ref, "close", actor, note, now)

    def reopen(
        self, ref: str, note: str = "", actor: str = "agent", now: datetime | None = None
    ) -> TicketView:
        return self._change(ref, "reopen", actor, note, now)

    def first_reply(
        self, ref: str, note: str = "", actor: str = "agent", now: datetime | None = None
    ) -> TicketView:
        """The first reply reached the caller: stamps replied_at (the SLA clock stops), keeps
        the status. A second first-reply is refused, so the SLA time cannot be moved."""
        return self._annotate(ref, "first_reply", actor, note, now)

    def add_note(
        self, ref: str, note: str, actor: str = "agent", now: datetime | None = None
    ) -> TicketView:
        """Append a note to the ticket (and its audit trail); the status does not change."""
        if not note.strip():
            raise InvalidDraft("a note needs some text")
        return self._annotate(ref, "note", actor, note.strip(), now)

    def mark_complex(
        self, ref: str, note: str = "", actor: str = "agent", now: datetime | None = None
    ) -> TicketView:
        """Severity becomes 'complex' and the promise is recomputed from the opening time with
        the complex commitment (the seeds' 3 working days)."""
        return self._annotate(ref, "mark_complex", actor, note, now)

    def _annotate(
        self, ref: str, action: str, actor: str, note: str, now: datetime | None
    ) -> TicketView:
        at = now or _utcnow()

        def work(session: Session) -> TicketView:
            ticket = self._resolve_ref(session, ref)
            sid = short_id(ticket.id)
            if action == "first_reply":
                if ticket.replied_at is not None:
                    raise InvalidDraft(f"ticket {sid} already has its first reply")
                if ticket.status not in ("new", "dispatched"):
                    raise InvalidDraft(f"ticket {sid} is {ticket.status}: nothing to reply to")
                ticket.replied_at = at
            elif action == "note":
                stamp = at.astimezone(self.calendar.tz).strftime("%Y-%m-%d %H:%M")
                line = f"[{stamp} {actor[:64]}] {note}"
                ticket.notes = f"{ticket.notes}\n{line}" if ticket.notes else line
            elif action == "mark_complex":
                if ticket.severity == "complex":
                    raise InvalidDraft(f"ticket {sid} is already complex")
                ticket.severity = "complex"
                ticket.promised_reply_by = self.promise_for(
                    ticket.category, "complex", ticket.opened_at
                )
            ticket.updated_at = at
            ticket.events.append(
                TicketEvent(
                    at=at,
                    actor=actor[:64],
                    action=action,
                    from_status=ticket.status,
                    to_status=ticket.status,
                    note=note,
                )
            )
            session.flush()
            log.info("ticket %s: %s by %s", sid, action, actor[:64])
            return self._view(ticket, reveal=False, with_events=True)

        return self._read(work)

    def publish_event(
        self,
        kind: str,
        ticket_ref: str = "",
        queue: str = "",
        target: str = "",
        now: datetime | None = None,
    ) -> bool:
        """A live event for the web console (e.g. kind='transfer': a screen pop for the desk's
        agents). Best effort from a call: a database problem is logged, never raised."""
        from .console_models import ConsoleEvent

        row = ConsoleEvent(
            at=now or _utcnow(),
            kind=kind[:32],
            ticket_ref=ticket_ref[:64],
            queue=queue[:100],
            target=target[:200],
        )
        if not (self._db_available() and self._ensure_schema()):
            return False
        try:
            with self._session() as session:
                session.add(row)
        except SQLAlchemyError as exc:
            log.warning("console event %s not published: %s", kind, _brief(exc))
            return False
        return True

    # Reading -----------------------------------------------------------------------------------

    def _view(self, t: Ticket, reveal: bool, with_events: bool) -> TicketView:
        number = t.caller_number_masked
        contact = t.contact_number_masked
        if reveal:
            number = self.protector.reveal(t.caller_number_enc) or t.caller_number_masked
            contact = self.protector.reveal(t.contact_number_enc) or t.contact_number_masked
        events: tuple[TicketEventView, ...] = ()
        if with_events:
            events = tuple(
                TicketEventView(
                    at=e.at,
                    actor=e.actor,
                    action=e.action,
                    from_status=e.from_status,
                    to_status=e.to_status,
                    note=e.note,
                )
                for e in t.events
            )
        return TicketView(
            id=t.id,
            short_id=short_id(t.id),
            call_id=t.call_id,
            category=t.category,
            severity=t.severity,
            status=t.status,
            caller_number=number,
            caller_title=t.caller_title,
            caller_surname=self.protector.unseal(t.caller_surname),
            summary=t.summary,
            transcript=self.protector.unseal(t.transcript) or "",
            recording_path=t.recording_path,
            level_dbfs=t.level_dbfs,
            noise_dbfs=t.noise_dbfs,
            snr_db=t.snr_db,
            department=t.department,
            notes=t.notes,
            opened_at=t.opened_at,
            promised_reply_by=t.promised_reply_by,
            replied_at=t.replied_at,
            resolved_at=t.resolved_at,
            closed_at=t.closed_at,
            satisfaction=t.satisfaction,
            events=events,
            contact_number=contact,
        )

    def get(self, ref: str, reveal: bool = False) -> TicketView:
        """One ticket with its audit trail; ref is the full id, a prefix (4+ hex digits) or the
        10-digit reference number the caller was told."""

        def work(session: Session) -> TicketView:
            return self._view(self._resolve_ref(session, ref), reveal, with_events=True)

        return self._read(work)

    def list_tickets(
        self,
        filters: TicketFilters | None = None,
        reveal: bool = False,
        with_events: bool = False,
    ) -> list[TicketView]:
        f = filters or TicketFilters()
        if f.status is not None and f.status not in STATUSES:
            raise InvalidDraft(f"status {f.status!r} is not one of {', '.join(STATUSES)}")
        if f.category is not None and f.category not in CATEGORIES:
            raise InvalidDraft(f"category {f.category!r} is not one of {', '.join(CATEGORIES)}")
        query = select(Ticket).order_by(Ticket.opened_at, Ticket.id)
        if with_events:
            query = query.options(selectinload(Ticket.events))
        if f.status:
            query = query.where(Ticket.status == f.status)
        if f.category:
            query = query.where(Ticket.category == f.category)
        if f.since:
            query = query.where(Ticket.opened_at >= f.since)
        if f.overdue_at:
            query = query.where(Ticket.status.in_(("new", "dispatched"))).where(
                Ticket.promised_reply_by < f.overdue_at
            )
        if f.limit:
            query = query.limit(f.limit)

        def work(session: Session) -> list[TicketView]:
            return [self._view(t, reveal, with_events) for t in session.scalars(query)]

        return self._read(work)

    def overdue(self, now: datetime | None = None) -> list[TicketView]:
        """Open tickets (new / dispatched) whose promised reply time has passed."""
        return self.list_tickets(TicketFilters(overdue_at=now or _utcnow()))

    # The call register (CDRs) ---------------------------------------------------------------

    def list_calls(self, f: CallFilters | None = None) -> list[CallView]:
        """Calls newest first, filtered by answer time, end reason and caller hash."""
        f = f or CallFilters()
        if f.end_reason is not None and f.end_reason not in END_REASONS:
            raise InvalidDraft(f"end reason {f.end_reason!r} is not one of "
                               f"{', '.join(END_REASONS)}")
        query = select(CallRecord).order_by(CallRecord.answered_at.desc(), CallRecord.id.desc())
        if f.since:
            query = query.where(CallRecord.answered_at >= f.since)
        if f.until:
            query = query.where(CallRecord.answered_at < f.until)
        if f.end_reason:
            query = query.where(CallRecord.end_reason == f.end_reason)
        if f.caller_hash:
            query = query.where(CallRecord.caller_number_hash == f.caller_hash)
        query = query.limit(max(1, f.limit))
        return self._read(lambda session: [_call_view(r) for r in session.scalars(query)])

    def find_call(self, call_id: str) -> CallView:
        """The call whose id (or SIP Call-ID) is, or starts with, ``call_id`` (4+ chars)."""
        if len(call_id) < 4:
            raise InvalidDraft(f"call id {call_id!r}: give at least 4 characters")
        query = select(CallRecord).where(
            CallRecord.call_id.startswith(call_id, autoescape=True)
            | (CallRecord.sip_call_id == call_id)
        ).limit(2)
        rows = self._read(lambda session: [_call_view(r) for r in session.scalars(query)])
        if not rows:
            raise TicketNotFound(f"no call {call_id!r} in the call register")
        if len(rows) > 1:
            raise InvalidDraft(f"call id {call_id!r} is ambiguous: give more characters")
        return rows[0]

    def caller_hash(self, number: str) -> str:
        """The look-up hash the register stores for ``number`` (filter without the number)."""
        hashed = self.protector.hash(number)
        if hashed is None:
            raise InvalidDraft(
                "matching a caller needs the caller-number key (privacy.number_key_env, default "
                "IVR_NUMBER_KEY): without it the register keeps no hash to match"
            )
        return hashed

    def overdue_count(self, now: datetime | None = None) -> int:
        """How many open tickets are past their promised reply time (for /metrics)."""
        query = (select(func.count()).select_from(Ticket)
                 .where(Ticket.status.in_(("new", "dispatched")))
                 .where(Ticket.promised_reply_by < (now or _utcnow())))
        return int(self._read(lambda session: session.scalar(query) or 0))

    def check_database(self) -> str | None:
        """None when the database answers now; else why not (for /health). After a failure
        the service journals new tickets until its retry time, and this says so."""
        if not self._db_available():
            return "unavailable recently: new tickets go to the journal"
        try:
            self._read(lambda session: session.scalar(select(1)))
        except DatabaseUnavailable as exc:
            return str(exc)
        return None

    def count_tickets(self) -> int:
        return self._read(lambda s: int(s.scalar(select(func.count(Ticket.id))) or 0))

    def count_calls(self) -> int:
        return self._read(lambda s: int(s.scalar(select(func.count(CallRecord.id))) or 0))

    # Report and retention ------------------------------------------------------------------

    def month_bounds(self, year: int, month: int) -> tuple[datetime, datetime]:
        """[start, end) of a calendar month in the business timezone."""
        if not 1 <= month <= 12:
            raise InvalidDraft(f"month must be 1..12, got {month}")
        tz = self.calendar.tz
        start = datetime.combine(date(year, month, 1), dtime(0), tzinfo=tz)
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        return start, datetime.combine(nxt, dtime(0), tzinfo=tz)

    def monthly_report(self, year: int, month: int, now: datetime | None = None) -> MonthlyReport:
        """The month's figures. Statuses are as of the month's last instant (the event trail);
        calls are classified from their call records (reports.call_outcome)."""
        start, end = self.month_bounds(year, month)

        def work(session: Session) -> MonthlyReport:
            rows = list(
                session.scalars(
                    select(Ticket).where(Ticket.opened_at >= start).where(Ticket.opened_at < end)
                )
            )
            trails: dict[str, list[tuple[datetime, int, str]]] = {}
            for ticket_id, at, seq, to_status in session.execute(
                select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id, TicketEvent.to_status)
                .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .where(Ticket.opened_at >= start)
                .where(Ticket.opened_at < end)
                .where(TicketEvent.at < end)
            ):
                trails.setdefault(ticket_id, []).append((at, seq, to_status))
            tickets = [
                TicketFacts(
                    category=t.category,
                    severity=t.severity,
                    status=status_as_of(trails.get(t.id, []), end, t.status),
                    promised_reply_by=t.promised_reply_by,
                    replied_at=t.replied_at,
                    dispatched_at=t.dispatched_at,
                    satisfaction=t.satisfaction,
                )
                for t in rows
            ]
            calls = [
                CallFacts(
                    end_reason=reason,
                    has_ticket=bool(ticket_ids),
                    transfer_attempted=bool(target),
                    bot_finished=bool(CLOSING_PROMPTS.intersection(prompts or ())),
                )
                for reason, ticket_ids, target, prompts in session.execute(
                    select(
                        CallRecord.end_reason,
                        CallRecord.ticket_ids,
                        CallRecord.transfer_target,
                        CallRecord.prompts_played,
                    )
                    .where(CallRecord.answered_at >= start)
                    .where(CallRecord.answered_at < end)
                )
            ]
            return build_report(year, month, tickets, calls, now or _utcnow())

        return self._read(work)

    def month_details(
        self, year: int, month: int, now: datetime | None = None
    ) -> dict[str, Any]:
        """What the console's report adds to MonthlyReport: average handling time (answer to
        end, all calls), and SLA met/missed per ISO week of the ticket's opening."""
        start, end = self.month_bounds(year, month)
        at = now or _utcnow()

        def work(session: Session) -> dict[str, Any]:
            spans = [
                (e - a).total_seconds()
                for a, e in session.execute(
                    select(CallRecord.answered_at, CallRecord.ended_at)
                    .where(CallRecord.answered_at >= start)
                    .where(CallRecord.answered_at < end)
                )
            ]
            weeks: dict[str, dict[str, int]] = {}
            for opened, promised, replied in session.execute(
                select(Ticket.opened_at, Ticket.promised_reply_by, Ticket.replied_at)
                .where(Ticket.opened_at >= start)
                .where(Ticket.opened_at < end)
                .where(Ticket.promised_reply_by.is_not(None))
            ):
                if promised is None:
                    continue
                iso = opened.astimezone(self.calendar.tz).isocalendar()
                week = weeks.setdefault(f"{iso[0]}-W{iso[1]:02d}", {"met": 0, "missed": 0})
                if replied is not None:
                    week["met" if replied <= promised else "missed"] += 1
                elif promised < at:
                    week["missed"] += 1
            return {
                "aht_s": sum(spans) / len(spans) if spans else None,
                "sla_by_week": dict(sorted(weeks.items())),
            }

        return self._read(work)

    def purge_recordings(
        self,
        now: datetime | None = None,
        retention_days: int | None = None,
        dry_run: bool = False,
    ) -> list[str]:
        """Delete recording files of tickets opened more than retention_days ago; the ticket
        keeps a 'recording purged' event. Returns the paths handled."""
        days = retention_days or self.recording_retention_days
        if not days:
            raise InvalidDraft("no retention set (privacy.recording_retention_days)")
        at = now or _utcnow()
        cutoff = at - timedelta(days=days)

        def work(session: Session) -> list[str]:
            done: list[str] = []
            for t in session.scalars(
                select(Ticket)
                .where(Ticket.recording_path.is_not(None))
                .where(Ticket.recording_purged_at.is_(None))
                .where(Ticket.opened_at < cutoff)
            ):
                path = Path(t.recording_path or "")
                done.append(str(path))
                if dry_run:
                    continue
                try:
                    path.unlink()
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    log.warning("recording of ticket %s not deleted: %s", short_id(t.id), exc)
                    done.pop()
                    continue
                t.recording_purged_at = at
                t.events.append(
                    TicketEvent(
                        at=at,
                        actor=SYSTEM_ACTOR,
                        action="purge_recording",
                        from_status=t.status,
                        to_status=t.status,
                        note=f"recording older than {days} days deleted",
                    )
                )
            return done

        done = self._read(work)
        if done and not dry_run:
            log.info("deleted %d recording(s) older than %d days", len(done), days)
        return done


def _call_view(row: CallRecord) -> CallView:
    return CallView(
        call_id=row.call_id, answered_at=row.answered_at, ended_at=row.ended_at,
        end_reason=row.end_reason, caller_masked=row.caller_number_masked,
        caller_hash=row.caller_number_hash, sip_call_id=row.sip_call_id,
        worker_id=row.worker_id, transfer_target=row.transfer_target,
        ticket_ids=tuple(row.ticket_ids or ()), prompts_played=tuple(row.prompts_played or ()),
        silent_s=row.silent_s, low_volume_s=row.low_volume_s, noisy_s=row.noisy_s,
    )


def _by_reference(session: Session, ref: str) -> Ticket | None:
    """The ticket whose spoken reference number (types.reference_number: 10 decimal digits,
    what the caller wrote down, spaces and dashes allowed) is `ref`; None when `ref` is not
    such a number or no ticket has it (then it is tried as a hex id prefix). The reference is
    derived from the id, not stored, so this reads every id: one indexed column, fine for a
    hotline's register (56 ms of hashing
    per 100k tickets, plus reading the ids)."""
    digits = "".join(ch for ch in ref if ch not in " -")
    if len(digits) != REFERENCE_DIGITS or not digits.isdigit():
        return None
    found = [i for i in session.scalars(select(Ticket.id)) if reference_number(i) == digits]
    if len(found) > 1:
        shown = ", ".join(short_id(i) for i in found[:5])
        raise TicketNotFound(f"reference number {digits} is shared by tickets {shown}: "
                             "give the hex id instead")
    return session.get(Ticket, found[0]) if found else None


def _live(marker: Path) -> bool:
    """True while a recorder holds the marker's lock (its call goes on, in any process)."""
    try:
        fh = open(marker, "rb")
    except FileNotFoundError:
        return False
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        return False


def _without_unkeyed_hash(row: dict[str, Any]) -> dict[str, Any]:
    """A copy of a ticket or call row in which a hash stands only beside ciphertext: entries
    journaled by older versions without a key carry a pepper-keyed hash that, with the mask,
    gives the number back (migration 0003 refuses it)."""
    values = dict(row)
    if values.get("caller_number_enc") is None:
        values["caller_number_hash"] = None
    return values


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit] if value is not None else None


def _brief(exc: BaseException) -> str:
    """One line of an exception, without SQL or parameters (they could hold caller data)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return (type(orig or exc).__name__ + ": " + (text[0] if text else ""))[:300]
