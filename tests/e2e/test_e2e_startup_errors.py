"""`ivr serve` refuses storage it cannot use with one clear line and exit status 2, never a
traceback (issue 11 item 11): a read-only data folder, a mistyped database URL. A few seconds:
the agent stops before any SIP or speech part starts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from e2ekit import ROOT, free_port, ivr_argv

pytestmark = [pytest.mark.slow]


def serve(env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    argv = ivr_argv("serve", "--no-asr", "--bind", "127.0.0.1", "--sip-port", str(free_port()),
                    *extra)
    return subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
                          check=False)


@pytest.fixture
def read_only_dir(tmp_path: Path):
    point = tmp_path / "ro"
    point.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(point)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here (needs root): {proc.stderr.strip()}")
    yield point
    subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.mark.parametrize("inside", [False, True], ids=["is-the-mount", "below-the-mount"])
def test_read_only_data_folder_is_one_line_and_exit_2(read_only_dir: Path, inside: bool) -> None:
    data = read_only_dir / "data" if inside else read_only_dir
    env = dict(os.environ, IVR_DATA_DIR=str(data))
    proc = serve(env)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert str(data) in lines[0] and "not writable" in lines[0] and "Read-only" in lines[0]


def test_mistyped_database_url_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = dict(os.environ, IVR_DATA_DIR=str(tmp_path / "data"))
    proc = serve(env, "--db", "sqlite://tickets.db")
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "did you mean sqlite:///tickets.db" in lines[0], proc.stderr
