"""Privacy of caller numbers (database bytes, journal, logs, CLI) and the CLI commands."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from ticket_helpers import TEST_KEY, unreachable_pg_url

from ivr.cli import main as ivr_main
from ivr.tickets import privacy
from ivr.tickets.db import head_revision
from ivr.tickets.privacy import NumberProtector, mask_number
from ivr.tickets.types import CallRecordDraft, TicketDraft

RAW = "13812345678"
T0 = datetime(2026, 11, 17, 2, 0, tzinfo=timezone.utc)


def draft(call_id: str, category: str = "complaint", **kw: object) -> TicketDraft:
    kw.setdefault("caller_number", RAW)
    return TicketDraft(call_id=call_id, category=category, opened_at=T0, **kw)  # type: ignore[arg-type]


def file_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_mask() -> None:
    assert mask_number("13812345678") == "138****5678"
    assert mask_number("+8613812345678") == "+86****5678"
    assert mask_number("12345") == "***45"
    assert mask_number(None) is None


def test_short_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 16"):
        NumberProtector("short")


@pytest.mark.parametrize("key", [TEST_KEY, None], ids=["with-key", "without-key"])
def test_raw_number_never_in_database_journal_or_logs(
    key: str | None,
    tmp_path: Path,
    make_service,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(privacy, "_warned", False)  # the no-key warning is once per process
    data = tmp_path / "data"
    (tmp_path / "db").mkdir()
    url = f"sqlite:///{tmp_path / 'db' / 'p.sqlite3'}"
    svc = make_service(url, data, number_key=key)
    receipt = svc.open_ticket(draft("priv-1"))
    svc.open_ticket(draft("priv-2", "harassment"))
    svc.record_call(
        CallRecordDraft(
            call_id="priv-1", answered_at=T0, ended_at=T0, end_reason="normal", caller_number=RAW
        )
    )
    down = make_service(unreachable_pg_url(), data, number_key=key)
    assert down.open_ticket(draft("priv-3")).journaled
    journal_bytes = file_bytes(data)
    assert RAW.encode() not in journal_bytes and b"138****5678" in journal_bytes
    svc.replay_journal()
    # look-ups work by keyed hash; without the key nothing matchable is stored (item 5)
    assert svc.is_blacklisted(RAW, now=T0) == bool(key)
    view = svc.get(receipt.short_id, reveal=True)
    assert view.caller_number == (RAW if key else "138****5678")
    assert svc.get(receipt.short_id).caller_number == "138****5678"
    svc.shutdown()
    down.shutdown()
    assert RAW.encode() not in file_bytes(tmp_path / "db")
    assert RAW not in caplog.text
    engine = create_engine(url)
    with engine.connect() as conn:
        enc = conn.execute(text("SELECT caller_number_enc FROM tickets")).scalars().all()
    engine.dispose()
    assert all((e is not None) == bool(key) for e in enc)
    assert ("will NOT be stored" in caplog.text) == (key is None)


# CLI ---------------------------------------------------------------------------------------------


def write_config(tmp_path: Path, url: str) -> Path:
    cfg = tmp_path / "ivr.toml"
    cfg.write_text(
        f'[paths]\ndata_dir = "{tmp_path / "data"}"\n\n[database]\nurl = "{url}"\n',
        encoding="utf-8",
    )
    return cfg


def run_cli(capsys: pytest.CaptureFixture[str], cfg: Path, *argv: str) -> tuple[int, str, str]:
    code = ivr_main(["--config", str(cfg), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli_db(db_url: str, tmp_path: Path, make_service, monkeypatch: pytest.MonkeyPatch):
    """A configured database with a few tickets and calls, made with the key set."""
    monkeypatch.setenv("IVR_NUMBER_KEY", TEST_KEY)
    cfg = write_config(tmp_path, db_url)
    svc = make_service(db_url, tmp_path / "data")
    ids = []
    for i, cat in enumerate(["complaint", "inquiry", "suggestion", "harassment"]):
        ids.append(
            svc.open_ticket(
                draft(
                    f"cli-{i}",
                    cat,
                    summary=f"summary {i}",
                    caller_surname="王",
                    caller_title="先生",
                )
            ).short_id
        )
        svc.record_call(
            CallRecordDraft(
                call_id=f"cli-{i}",
                answered_at=T0 + timedelta(hours=i),
                ended_at=T0 + timedelta(hours=i, minutes=1),
                end_reason=["normal", "silent", "noisy", "harassment"][i],
            )
        )
    svc.shutdown()
    return cfg, ids


def test_cli_lifecycle_list_show_export(
    cli_db, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg, ids = cli_db
    code, out, _ = run_cli(capsys, cfg, "db", "upgrade")
    assert code == 0 and str(head_revision()) in out  # the newest migration
    code, out, _ = run_cli(capsys, cfg, "db", "current")
    assert code == 0 and "up to date" in out

    code, out, _ = run_cli(capsys, cfg, "tickets", "list")
    assert code == 0 and "4 ticket(s)" in out and all(i in out for i in ids)
    assert "138****5678" in out and RAW not in out

    assert run_cli(capsys, cfg, "tickets", "dispatch", ids[0], "--dept", "售后部")[0] == 0
    code, out, _ = run_cli(capsys, cfg, "tickets", "resolve", ids[0][:6], "--note", "已换货")
    assert code == 0 and "dispatched -> resolved" in out
    code, _, err = run_cli(capsys, cfg, "tickets", "dispatch", ids[0], "--dept", "x")
    assert code == 1 and ids[0] in err and "'resolved'" in err and "Traceback" not in err
    assert run_cli(capsys, cfg, "tickets", "close", ids[0])[0] == 0
    code, out, _ = run_cli(capsys, cfg, "tickets", "reopen", ids[0], "--note", "again")
    assert code == 0 and "closed -> dispatched" in out

    code, out, _ = run_cli(capsys, cfg, "tickets", "list", "--status", "dispatched")
    assert "1 ticket(s)" in out and ids[0] in out
    code, out, _ = run_cli(capsys, cfg, "tickets", "list", "--category", "harassment")
    assert "1 ticket(s)" in out and ids[3] in out
    code, out, _ = run_cli(capsys, cfg, "tickets", "list", "--since", "2027-01-01")
    assert "0 ticket(s)" in out

    code, out, _ = run_cli(capsys, cfg, "tickets", "show", ids[0])
    assert code == 0 and "售后部" in out and "已换货" in out and RAW not in out
    assert out.count(" -> ") >= 5  # open, dispatch, resolve, close, reopen
    code, out, _ = run_cli(capsys, cfg, "tickets", "show", ids[0], "--reveal")
    assert code == 0 and RAW in out

    code, out, _ = run_cli(capsys, cfg, "tickets", "export", "--format", "json")
    rows = json.loads(out)
    assert len(rows) == 4 and RAW not in out and rows[0]["events"]
    code, out, _ = run_cli(capsys, cfg, "tickets", "export", "--format", "csv")
    assert len(list(csv.DictReader(io.StringIO(out)))) == 4 and RAW not in out

    code, _, err = run_cli(capsys, cfg, "tickets", "show", "0000")
    assert code == 1 and "no ticket id starts with" in err

    monkeypatch.delenv("IVR_NUMBER_KEY")
    code, out, err = run_cli(capsys, cfg, "tickets", "show", ids[0], "--reveal")
    assert code == 1 and "IVR_NUMBER_KEY" in err and RAW not in out + err
    code, out, err = run_cli(capsys, cfg, "tickets", "list")
    assert code == 0 and RAW not in out + err


def test_cli_report_table_csv_png(
    cli_db, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, _ = cli_db
    run_cli(capsys, cfg, "db", "upgrade")
    csv_path, png_path = tmp_path / "r.csv", tmp_path / "r.png"
    args = ["report", "--month", "2026-11", "--csv", str(csv_path)]
    try:
        import matplotlib  # noqa: F401

        args += ["--png", str(png_path)]
    except ImportError:
        png_path = None  # type: ignore[assignment]
    code, out, err = run_cli(capsys, cfg, *args)
    assert code == 0, err
    assert "Monthly report 2026-11" in out
    assert "Calls by end reason (4 calls)" in out
    rows = list(csv.reader(io.StringIO(csv_path.read_text())))
    assert ["2026-11", "tickets_by_category", "complaint", "1"] in rows
    assert ["2026-11", "calls_by_end_reason", "silent", "1"] in rows
    if png_path is not None:
        assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, _ = run_cli(capsys, cfg, "report", "--month", "2026-10")
    assert code == 0 and "Calls by end reason (0 calls)" in out


def test_cli_bad_input_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = write_config(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(SystemExit) as exit_info:
        ivr_main(["--config", str(cfg), "report", "--month", "2026-13"])
    assert exit_info.value.code == 2
    assert "use YYYY-MM" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        ivr_main(["--config", str(cfg), "tickets", "list", "--since", "yesterday"])
    assert "YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # range-checked by argparse (test_cli_ranges)
        ivr_main(["--config", str(cfg), "tickets", "purge-recordings", "--days", "0"])
    assert exit_info.value.code == 2
    assert "--days: must be in 1..3650, got 0" in capsys.readouterr().err
    code, _, err = run_cli(capsys, tmp_path / "missing.toml", "tickets", "list")
    assert code == 1 and "missing.toml" in err and "Traceback" not in err
    down = write_config(tmp_path, unreachable_pg_url())
    code, _, err = run_cli(capsys, down, "db", "current")
    assert code == 1 and "not available" in err and "nothing:" not in err  # password hidden
