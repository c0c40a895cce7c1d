"""Who ended the call (issue 11 item 11): the SIP call ending on our side without the policy is
`shutdown` after a shutdown request and `error` otherwise; only the caller's hang-up is
`caller_hangup`. A whole virtual call each, in well under a second."""

from __future__ import annotations

import numpy as np
import pytest

from ivr.config import load_settings
from tests.session.harness import VirtualLine


@pytest.fixture(scope="module")
def settings():
    return load_settings(None)


def run_until_line_ends(settings, *, by_remote: bool, shutdown: bool) -> str:
    line = VirtualLine(settings, caller_audio=np.zeros(8000 * 20, dtype=np.int16))
    done: list[bool] = []

    def settle() -> None:
        if line.t >= 2.0 and not done:
            done.append(True)
            if shutdown:
                line.session.request_shutdown()
            line.session.line_ended(by_remote, 0 if not by_remote else 200, "Lost")

    return line.run(max_s=30.0, settle=settle).end_reason


def test_a_call_the_sip_layer_lost_is_an_error(settings) -> None:
    assert run_until_line_ends(settings, by_remote=False, shutdown=False) == "error"


def test_a_call_cut_while_draining_is_a_shutdown(settings) -> None:
    assert run_until_line_ends(settings, by_remote=False, shutdown=True) == "shutdown"


def test_the_caller_hanging_up_is_a_caller_hangup(settings) -> None:
    assert run_until_line_ends(settings, by_remote=True, shutdown=False) == "caller_hangup"
