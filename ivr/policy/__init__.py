"""Pure call policy: events in, actions out. No clocks, no I/O (see DESIGN.md)."""

from ivr.policy.machine import CallPolicy
from ivr.policy.reasons import FINAL_PHRASE, REASONS, final_phrase

__all__ = ["FINAL_PHRASE", "REASONS", "CallPolicy", "final_phrase"]
