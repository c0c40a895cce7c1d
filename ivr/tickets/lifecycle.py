"""The ticket state machine (pure): new -> dispatched -> resolved -> closed, and reopen.

A ticket may be resolved straight from `new` (solved during the call: first-contact resolution)
and re-dispatched to another department while `dispatched`. Reopen sends a resolved or closed
ticket back to `dispatched` when it has a department, else to `new`.
"""

from __future__ import annotations

from .types import IllegalTransition

ACTIONS: tuple[str, ...] = ("dispatch", "resolve", "close", "reopen")

_ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "dispatch": ("new", "dispatched"),
    "resolve": ("new", "dispatched"),
    "close": ("resolved",),
    "reopen": ("resolved", "closed"),
}


def target_status(action: str, current: str, has_department: bool) -> str:
    """The status `action` leads to from `current`."""
    if action == "dispatch":
        return "dispatched"
    if action == "resolve":
        return "resolved"
    if action == "close":
        return "closed"
    if action == "reopen":
        return "dispatched" if has_department else "new"
    raise ValueError(f"unknown lifecycle action {action!r}; allowed: {', '.join(ACTIONS)}")


def transition(action: str, current: str, has_department: bool, ticket_short_id: str) -> str:
    """Return the new status, or raise IllegalTransition naming the ticket, from and to."""
    to = target_status(action, current, has_department)
    if current not in _ALLOWED_FROM[action]:
        raise IllegalTransition(ticket_short_id, current, to, action)
    return to
