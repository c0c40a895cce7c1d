"""The blacklist: numbers with a recent harassment ticket (automatic, for blacklist_days) plus
an admin's manual blocks, minus an admin's lifts. Pure over rows given; the service reads them.

State of one number at `now`, from its entries (oldest first) and its harassment tickets:
- the newest entry is a 'block' -> blocked (manual blocks do not expire);
- else a harassment ticket opened within blacklist_days and after the newest 'lift' -> blocked;
- else not blocked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

KINDS = ("block", "lift")
REASON_MAX = 500


@dataclass(frozen=True)
class EntryFacts:
    kind: str
    at: datetime
    reason: str
    actor: str
    number_masked: str


@dataclass(frozen=True)
class BlacklistView:
    """One blocked number as the admin bench shows it."""

    number_hash: str
    number_masked: str
    source: str  # "manual" | "harassment"
    since: datetime
    reason: str
    actor: str
    ticket_short_id: str | None = None


def blocked(
    entries: list[EntryFacts], harassment_opened: list[datetime], now: datetime, days: int
) -> bool:
    if entries and entries[-1].kind == "block":
        return True
    lifted_at = max((e.at for e in entries if e.kind == "lift"), default=None)
    since = now - timedelta(days=days)
    return days > 0 and any(
        opened >= since and (lifted_at is None or opened > lifted_at)
        for opened in harassment_opened
    )
