"""The closed sets every layer shares, defined once.

The policy emits end reasons, ticket categories and severities; the ticket register validates
them, the config promises a reply time per commitment key, the report counts them. Each set is
a `Literal` type (so mypy checks the call sites) and a tuple of its values in display order
(for validation, argparse choices and report columns), derived from the Literal so the two
cannot drift. tests/contracts proves that whatever the policy can emit is accepted and shown.

Imports nothing from the project: every layer may import it.
"""

from __future__ import annotations

from typing import Literal, get_args

# How a call ended. The policy ends calls for the seeds' reasons; the session adds "error" (the
# session itself failed) and "caller_hangup" (the caller hung up first).
EndReason = Literal[
    "silent",
    "low_volume",
    "noisy",
    "unintelligible",
    "harassment",
    "blacklisted",
    "normal",
    "shutdown",
    "max_duration",
    "transferred",
    "caller_hangup",
    "error",
]
END_REASONS: tuple[EndReason, ...] = get_args(EndReason)

# What a ticket is about.
TicketCategory = Literal[
    "complaint", "inquiry", "suggestion", "callback", "harassment", "silent_followup"
]
CATEGORIES: tuple[TicketCategory, ...] = get_args(TicketCategory)

# How hard a ticket is: "urgent" goes to the front of the desk; "complex" earns the longer
# promise (seed 003: complex issues within three working days).
Severity = Literal["normal", "urgent", "complex"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)

# A ticket's lifecycle.
TicketStatus = Literal["new", "dispatched", "resolved", "closed"]
STATUSES: tuple[TicketStatus, ...] = get_args(TicketStatus)

# The line monitor's verdict on the caller's audio.
LineVerdict = Literal["silent", "low_volume", "noisy", "ok"]
VERDICTS: tuple[LineVerdict, ...] = get_args(LineVerdict)

# Rows of the promised-reply table (config [commitments]): one per category, plus "complex",
# which a ticket of severity "complex" uses whatever its category.
CommitmentKey = Literal[
    "complaint",
    "inquiry",
    "suggestion",
    "callback",
    "harassment",
    "silent_followup",
    "complex",
]
COMMITMENT_KEYS: tuple[CommitmentKey, ...] = get_args(CommitmentKey)

assert set(COMMITMENT_KEYS) == set(CATEGORIES) | {"complex"}, "commitment keys drifted"

__all__ = [
    "CATEGORIES",
    "COMMITMENT_KEYS",
    "END_REASONS",
    "SEVERITIES",
    "STATUSES",
    "VERDICTS",
    "CommitmentKey",
    "EndReason",
    "LineVerdict",
    "Severity",
    "TicketCategory",
    "TicketStatus",
]
