"""The call register as CDRs: every record carries the absolute start time, the SIP Call-ID
and the worker id; `ivr calls list/show` filters by date, end reason and caller (by hash)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from ticket_helpers import TEST_KEY

from ivr.cli import main as ivr_main
from ivr.tickets.types import CallFilters, CallRecordDraft, InvalidDraft, TicketNotFound

T0 = datetime(2026, 11, 17, 2, 0, tzinfo=timezone.utc)
CALLERS = ("13812345678", "13900001111", "13812345678")
REASONS = ("normal", "transferred", "silent")


@pytest.fixture
def register(make_service, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("IVR_NUMBER_KEY", TEST_KEY)
    svc = make_service(db_url, tmp_path / "data")
    for i, (caller, reason) in enumerate(zip(CALLERS, REASONS, strict=True)):
        svc.record_call(CallRecordDraft(
            call_id=f"{i:02d}{'ab' * 15}", answered_at=T0 + timedelta(days=i),
            ended_at=T0 + timedelta(days=i, seconds=42), end_reason=reason,
            caller_number=caller, sip_call_id=f"sipp-{i}@10.77.0.2", worker_id=i % 2 + 1))
    return svc


def test_records_carry_start_time_sip_call_id_and_worker(register):
    calls = register.list_calls()
    assert [c.call_id[:2] for c in calls] == ["02", "01", "00"]  # newest first
    first = calls[-1]
    assert first.answered_at == T0 and first.duration_s == 42
    assert (first.sip_call_id, first.worker_id) == ("sipp-0@10.77.0.2", 1)
    assert first.caller_masked == "138****5678"
    assert register.find_call("sipp-1@10.77.0.2").call_id.startswith("01")
    assert register.find_call("02ab").end_reason == "silent"
    with pytest.raises(TicketNotFound):
        register.find_call("ffff")
    with pytest.raises(InvalidDraft, match="at least 4"):
        register.find_call("02")


def test_filters_by_date_end_reason_and_caller_hash(register):
    day1 = register.list_calls(CallFilters(since=T0 + timedelta(days=1),
                                           until=T0 + timedelta(days=2)))
    assert [c.call_id[:2] for c in day1] == ["01"]
    assert [c.call_id[:2] for c in register.list_calls(CallFilters(end_reason="silent"))] == \
        ["02"]
    same = register.list_calls(CallFilters(caller_hash=register.caller_hash(CALLERS[0])))
    assert [c.call_id[:2] for c in same] == ["02", "00"]
    with pytest.raises(InvalidDraft, match="end reason 'gone'"):
        register.list_calls(CallFilters(end_reason="gone"))


def _config(tmp_path: Path, url: str) -> Path:
    cfg = tmp_path / "ivr.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n\n[database]\nurl = "{url}"\n',
                   encoding="utf-8")
    return cfg


def test_ivr_calls_list_and_show(register, db_url, tmp_path, capsys):
    cfg = _config(tmp_path, db_url)
    code = ivr_main(["--config", str(cfg), "calls", "list", "--json", "--caller", CALLERS[0],
                     "--end-reason", "normal"])
    out = capsys.readouterr().out
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 1, out
    assert rows[0]["sip_call_id"] == "sipp-0@10.77.0.2" and rows[0]["worker_id"] == 1
    assert rows[0]["answered_at"].startswith("2026-11-17T02:00:00")
    assert CALLERS[0] not in out  # masked; the filter went by hash
    code = ivr_main(["--config", str(cfg), "calls", "list", "--date", "2026-11-18"])
    out = capsys.readouterr().out
    assert code == 0 and "1 call(s)" in out and "sipp-1@10.77.0.2" in out, out
    code = ivr_main(["--config", str(cfg), "calls", "show", "00ab"])
    out = capsys.readouterr().out
    assert code == 0 and "sipp-0@10.77.0.2" in out and "worker_id" in out, out
    code = ivr_main(["--config", str(cfg), "calls", "show", "ffff"])
    assert code == 1 and "no call 'ffff'" in capsys.readouterr().err


def test_log_format_json_writes_one_object_per_line(tmp_path):
    import os
    import subprocess
    import sys

    cfg = _config(tmp_path, f"sqlite:///{tmp_path / 'log.db'}")
    proc = subprocess.run([sys.executable, "-m", "ivr.cli", "--config", str(cfg),
                           "--log-format", "json", "-v", "db", "upgrade"],
                          capture_output=True, text=True, timeout=60, env=dict(os.environ),
                          check=False)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines, "expected INFO log lines (schema upgrade) on stderr"
    for line in lines:
        entry = json.loads(line)
        assert {"ts", "level", "logger", "msg"} <= set(entry), entry
