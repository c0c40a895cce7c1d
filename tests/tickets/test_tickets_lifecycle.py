"""The ticket state machine (pure)."""

from __future__ import annotations

import pytest

from ivr.tickets.lifecycle import transition
from ivr.tickets.types import STATUSES, IllegalTransition

ALLOWED = {
    ("dispatch", "new"): "dispatched",
    ("dispatch", "dispatched"): "dispatched",
    ("resolve", "new"): "resolved",
    ("resolve", "dispatched"): "resolved",
    ("close", "resolved"): "closed",
    ("reopen", "resolved"): "dispatched",
    ("reopen", "closed"): "dispatched",
}


@pytest.mark.parametrize("action", ["dispatch", "resolve", "close", "reopen"])
@pytest.mark.parametrize("status", STATUSES)
def test_every_action_from_every_status(action: str, status: str) -> None:
    expected = ALLOWED.get((action, status))
    if expected is None:
        with pytest.raises(IllegalTransition) as err:
            transition(action, status, True, "abcd1234")
        message = str(err.value)
        assert "abcd1234" in message and f"'{status}'" in message and action in message
    else:
        assert transition(action, status, True, "abcd1234") == expected


def test_reopen_without_department_goes_back_to_new() -> None:
    assert transition("reopen", "closed", False, "abcd1234") == "new"


def test_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown lifecycle action"):
        transition("delete", "new", False, "abcd1234")
