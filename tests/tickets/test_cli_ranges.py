"""Numeric CLI arguments of `ivr tickets` are range-checked (issue 11 item 11): a 20-digit
--limit ended in an OverflowError traceback from the database driver."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.cli import main as ivr_main


def config(tmp_path: Path) -> Path:
    cfg = tmp_path / "ivr.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n\n[database]\n'
                   f'url = "sqlite:///{tmp_path / "data" / "t.db"}"\n', encoding="utf-8")
    return cfg


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "--limit", "99999999999999999999"],
        ["list", "--limit", "0"],
        ["list", "--limit", "-5"],
        ["list", "--limit", "ten"],
        ["export", "--limit", "99999999999999999999"],
        ["purge-recordings", "--days", "99999999999999999999"],
        ["purge-recordings", "--days", "0"],
    ],
)
def test_out_of_range_numbers_get_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        ivr_main(["--config", str(config(tmp_path)), "tickets", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    option = argv[1]
    line = next(ln for ln in err.splitlines() if "error:" in ln)
    assert option in line and "1.." in line, err


def test_a_limit_in_range_works(tmp_path: Path, make_service) -> None:
    make_service(f"sqlite:///{tmp_path / 'data' / 't.db'}", tmp_path / "data")  # an empty register
    assert ivr_main(["--config", str(config(tmp_path)), "tickets", "list", "--limit",
                     "1000000"]) == 0
