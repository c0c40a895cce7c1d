"""One CLI: global options anywhere, --db/--set/IVR_DATABASE_URL on every command that reads
the settings or the database, read-only commands never create a database, secrets masked,
--json for machine output, no traceback on a closed pipe. Real SQLite; runtime ~10 s."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.cli import build_parser, main
from ivr.tickets.service import TicketService
from ivr.tickets.types import CallRecordDraft, TicketDraft

REPO = Path(__file__).resolve().parents[2]
OPENED = dt.datetime(2026, 11, 17, 2, 0, tzinfo=dt.timezone.utc)
SETTINGS_COMMANDS = [
    ["serve"],
    ["reload"],
    ["tickets", "list"],
    ["tickets", "show", "abcd"],
    ["report", "--month", "2026-11"],
    ["db", "upgrade"],
    ["db", "current"],
    ["demo"],
    ["doctor"],
    ["simulate", "x.wav"],
    ["config", "show"],
    ["config", "check"],
    ["analyze", "x.wav"],
    ["prompts", "list"],
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An SQLite register with two tickets and one call; the data dir is elsewhere."""
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("IVR_DATABASE_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'register.db'}"
    svc = TicketService(url, tmp_path / "svc", number_key="k" * 32).start()
    for i, category in enumerate(("complaint", "suggestion")):
        svc.open_ticket(TicketDraft(call_id=f"c{i}", category=category, opened_at=OPENED))
    svc.record_call(
        CallRecordDraft(
            call_id="c0",
            answered_at=OPENED,
            ended_at=OPENED + dt.timedelta(seconds=9),
            end_reason="shutdown",
        )
    )
    svc.shutdown()
    return url


@pytest.mark.parametrize("argv", SETTINGS_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_global_options_before_or_after_and_db_set_on_every_settings_command(argv):
    parser = build_parser()
    from ivr.cli import merge_global_options

    after = merge_global_options(
        parser.parse_args(
            [*argv, "--config", "c.toml", "-v", "--db", "sqlite:///a.db", "--set", "a.b=1"]
        )
    )
    before = merge_global_options(
        parser.parse_args(
            ["--config", "c.toml", "-v", "--db", "sqlite:///a.db", "--set", "a.b=1", *argv]
        )
    )
    for args in (after, before):
        assert args.config == "c.toml" and args.verbose == 1
        assert args.db == "sqlite:///a.db" and args.set == ["a.b=1"]
    both = merge_global_options(parser.parse_args(["-v", "--set", "x.y=2", *argv, "-v"]))
    assert both.verbose == 2 and both.set == ["x.y=2"]


def test_tickets_and_report_read_the_database_given_by_db_or_the_environment(
    db_url, capsys, monkeypatch
):
    code, out, _ = run(capsys, "tickets", "list", "--db", db_url)
    assert code == 0 and "2 ticket(s)" in out
    code, out, _ = run(capsys, "--db", db_url, "report", "--month", "2026-11", "--json")
    report = json.loads(out)
    assert code == 0 and report["tickets_total"] == 2
    assert report["calls_by_end_reason"]["shutdown"] == 1
    monkeypatch.setenv("IVR_DATABASE_URL", db_url)
    code, out, _ = run(capsys, "tickets", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and {t["category"] for t in listed} == {"complaint", "suggestion"}
    code, out, _ = run(capsys, "tickets", "show", listed[0]["short_id"], "--json")
    shown = json.loads(out)
    assert code == 0 and shown["id"] == listed[0]["id"] and shown["events"]


def test_read_only_commands_refuse_a_missing_database_and_create_nothing(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "missing.db"
    for argv in (
        ["tickets", "list"],
        ["tickets", "show", "abcd"],
        ["tickets", "export"],
        ["report", "--month", "2026-11"],
        ["db", "current"],
    ):
        code, _, err = run(capsys, *argv, "--db", f"sqlite:///{missing}")
        assert code == 2, argv
        lines = err.strip().splitlines()
        assert len(lines) == 1 and str(missing) in lines[0] and "Traceback" not in err, argv
        assert not missing.exists() and not missing.parent.exists(), argv


def test_set_applies_on_config_show_and_the_password_is_masked(capsys, monkeypatch):
    monkeypatch.setenv("IVR_DATABASE_URL", "postgresql+psycopg://ivr:env-s3cret@db/t")
    code, out, _ = run(capsys, "config", "show", "--set", "line.window_s=2.5")
    shown = json.loads(out)
    assert code == 0 and shown["line"]["window_s"] == 2.5
    assert (
        "env-s3cret" not in out and shown["database"]["url"] == "postgresql+psycopg://ivr:***@db/t"
    )
    code, out, _ = run(capsys, "config", "show", "--db", "postgresql://u:flag-s3cret@h/d")
    assert code == 0 and "flag-s3cret" not in out and "u:***@h" in out
    code, _, err = run(capsys, "config", "show", "--set", "line.window_s=99")
    assert code == 1 and "line.window_s" in err


def test_export_json_and_the_old_format_spelling_agree(db_url, capsys):
    _, new, _ = run(capsys, "tickets", "export", "--json", "--db", db_url)
    _, old, _ = run(capsys, "tickets", "export", "--format", "json", "--db", db_url)
    assert json.loads(new) == json.loads(old) and len(json.loads(new)) == 2


def test_a_closed_pipe_ends_the_command_quietly(db_url, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), IVR_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "tickets", "list", "--db", db_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written (`| head -0`)
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=60)
    assert "Traceback" not in err and "Broken" not in err, err
    assert code == 141
