"""Calls that end by a SIGTERM drain ("shutdown") or by the length limit ("max_duration")
reach the call register and appear in `ivr report` under their end reason.

These reasons were once missing from the register's vocabulary, so the call record failed
validation and the calls vanished from the monthly report. A real CallSession (virtual time,
tests/session/harness.py) writes to a real SQLite register; `ivr report --db` reads it back.
Runtime ~3 s.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ivr.cli import main
from ivr.config import load_settings
from ivr.tickets.service import TicketService
from tests.session.harness import VirtualLine

SHUTDOWN_AT_S = 3.0


def test_drained_and_overlong_calls_are_in_the_register_and_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("IVR_DATABASE_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'register.db'}"
    service = TicketService(url, tmp_path / "data", number_key="k" * 32).start()
    try:
        # SIGTERM: the agent asks every session to drain (request_shutdown).
        settings = load_settings()
        line = VirtualLine(settings, tickets=service, recordings_dir=tmp_path / "rec")

        def drain_once() -> None:
            if line.t >= SHUTDOWN_AT_S and not drained:
                drained.append(line.t)
                line.session.request_shutdown()

        drained: list[float] = []
        assert line.run(settle=drain_once).end_reason == "shutdown"

        # The length limit: a caller the silent-call ladder would keep for minutes.
        long_wait = {"after_greeting_s": 120, "after_reprompt_s": 120}
        limited = load_settings(
            overrides={"dialogue": {"max_call_s": 30}, "silent_call": long_wait}
        )
        line = VirtualLine(
            limited, tickets=service, recordings_dir=tmp_path / "rec", call_id="virtual-call-2"
        )
        assert line.run().end_reason == "max_duration"
        assert service.count_calls() == 2
    finally:
        service.shutdown()

    month = "2026-11"  # the harness answers its calls on 2026-11-24
    assert main(["report", "--db", url, "--month", month, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["calls_by_end_reason"]["shutdown"] == 1
    assert report["calls_by_end_reason"]["max_duration"] == 1
    assert main(["report", "--month", month, "--db", url]) == 0
    lines = {tuple(row.split()) for row in capsys.readouterr().out.splitlines()}
    assert ("shutdown", "1") in lines and ("max_duration", "1") in lines
