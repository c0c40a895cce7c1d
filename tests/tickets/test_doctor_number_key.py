"""`ivr doctor` on the caller-number key (issue 11 item 5): production without the key FAILs."""

from __future__ import annotations

from pathlib import Path

import pytest
from ticket_helpers import TEST_KEY

from ivr import doctor
from ivr.cli import main as ivr_main
from ivr.config import load_settings


@pytest.fixture
def settings(tmp_path: Path):
    cfg = tmp_path / "ivr.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    return load_settings(cfg)


@pytest.mark.parametrize(
    ("env", "key", "status"),
    [
        ("production", None, "FAIL"),
        ("production", "too-short", "FAIL"),
        ("production", TEST_KEY, "OK"),
        ("", None, "WARN"),
        ("", "too-short", "FAIL"),
        ("", TEST_KEY, "OK"),
    ],
)
def test_number_key_check(settings, monkeypatch: pytest.MonkeyPatch, env: str, key: str | None,
                          status: str) -> None:
    monkeypatch.setenv("IVR_ENV", env)
    if key is None:
        monkeypatch.delenv("IVR_NUMBER_KEY", raising=False)
    else:
        monkeypatch.setenv("IVR_NUMBER_KEY", key)
    result = doctor.check_number_key(settings)
    assert result.status == status, result.line()
    assert TEST_KEY not in result.line() and "too-short" not in result.line()
    if status != "OK":
        assert "IVR_NUMBER_KEY" in result.line()


def test_doctor_command_exits_1_in_production_without_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "ivr.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    monkeypatch.setenv("IVR_ENV", "production")
    monkeypatch.delenv("IVR_NUMBER_KEY", raising=False)
    # only this check: the others depend on what the machine has installed
    monkeypatch.setattr(doctor, "run_checks", lambda s: [doctor.check_number_key(s)])
    assert ivr_main(["--config", str(cfg), "doctor"]) == 1
    out = capsys.readouterr().out
    assert "FAIL caller-number key" in out and "IVR_ENV=production" in out
    monkeypatch.setenv("IVR_NUMBER_KEY", TEST_KEY)
    assert ivr_main(["--config", str(cfg), "doctor"]) == 0
