"""A mistyped database URL is refused with a clear message (issue 11 item 11): it used to open a
new, empty database (or an in-memory one, lost at exit) without a word."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.cli import main as ivr_main
from ivr.tickets.db import DatabaseUrlError, check_url
from ivr.tickets.service import TicketService


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite://tickets.db", "sqlite:///tickets.db"),  # a host part: SQLAlchemy -> in memory
        ("sqlite:/var/lib/ivr/tickets.db", "sqlite:////"),  # not a URL SQLAlchemy reads
        ("sqlite:tickets.db", "sqlite:////"),
        ("sqlite://", "no database file"),
        ("sqlite:///", "no database file"),
        ("sqlite3:///tickets.db", "sqlite3"),  # no such backend
        ("postgres://u@h/db", "postgresql+psycopg://"),
    ],
)
def test_malformed_urls_are_refused_with_the_right_form(url: str, expected: str) -> None:
    with pytest.raises(DatabaseUrlError) as err:
        check_url(url)
    message = str(err.value)
    assert expected in message and "\n" not in message


def test_a_missing_directory_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "var" / "lib" / "ivrr"  # a typo of an existing directory
    url = f"sqlite:///{missing / 'tickets.db'}"
    with pytest.raises(DatabaseUrlError, match="does not exist") as err:
        TicketService(url, tmp_path / "data")
    assert str(missing) in str(err.value)
    assert not missing.exists() and not (tmp_path / "var").exists()


def test_good_urls_pass(tmp_path: Path) -> None:
    check_url(f"sqlite:///{tmp_path / 'tickets.db'}")
    check_url("sqlite:///:memory:")
    check_url("postgresql+psycopg://ivr:secret@127.0.0.1:5432/ivr")


def test_cli_with_a_mistyped_url_is_one_line(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "ivr.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n\n[database]\n'
                   'url = "sqlite://tickets.db"\n', encoding="utf-8")  # one slash short
    assert ivr_main(["--config", str(cfg), "tickets", "list"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "did you mean sqlite:///tickets.db" in err
    assert not list(tmp_path.rglob("*.db"))


def test_the_default_database_in_a_new_data_directory_is_made(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    svc = TicketService(f"sqlite:///{data / 'tickets.db'}", data).start()
    svc.shutdown()
    assert (data / "tickets.db").is_file()
