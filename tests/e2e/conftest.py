"""Fixtures for end-to-end tests of the real agent: `ivr serve`, `ivr desk` and sipp as
subprocesses on free loopback ports. One data directory for the whole test session, so the
prompts render once (~20 s); a tickets database per test; every process stopped at teardown."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2ekit import Agent, Proc, launch_agent


@pytest.fixture(scope="session")
def e2e_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The agents' IVR_DATA_DIR: prompts rendered here once, then read from the cache."""
    data = tmp_path_factory.mktemp("ivr-data")
    old = os.environ.get("IVR_DATA_DIR")
    os.environ["IVR_DATA_DIR"] = str(data)
    try:
        from ivr.config import load_settings
        from ivr.media.prompt_library import PromptLibrary

        settings = load_settings(None)
        with PromptLibrary(settings) as library:
            report = library.render_all()
        assert not report.failed, f"prompts failed to render: {report.failed}"
    finally:
        if old is None:
            os.environ.pop("IVR_DATA_DIR", None)
        else:
            os.environ["IVR_DATA_DIR"] = old
    return data


@pytest.fixture
def e2e_env(e2e_data_dir: Path) -> dict[str, str]:
    return dict(os.environ, IVR_DATA_DIR=str(e2e_data_dir), PYTHONUNBUFFERED="1")


@pytest.fixture
def start_agent(tmp_path: Path, e2e_env: dict[str, str], e2e_data_dir: Path
                ) -> Iterator[Callable[..., Agent]]:
    """start_agent(overrides=[...], config=None, db_url=None, extra=[]) -> a ready agent."""
    started: list[Proc] = []

    def start(overrides: list[str] = (), config: Path | None = None,  # type: ignore[assignment]
              db_url: str | None = None, extra: list[str] = ()) -> Agent:  # type: ignore[assignment]
        return launch_agent(started, tmp_path, e2e_env, e2e_data_dir, list(overrides), config,
                            db_url, list(extra))

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def sipp_dir(tmp_path: Path) -> Path:
    """A working directory for sipp with pcap/ -> /usr/share/sip-tester (Debian's sipp opens
    the built-in uac_pcap scenario's pcap/g711a.pcap relative to its working directory)."""
    if shutil.which("sipp") is None:
        pytest.skip("sipp (Debian sip-tester) is not installed")
    from e2ekit import PCAP_DIR

    if not (PCAP_DIR / "g711a.pcap").exists():
        pytest.skip(f"no sipp pcaps in {PCAP_DIR}")
    work = tmp_path / "sipp"
    work.mkdir()
    (work / "pcap").symlink_to(PCAP_DIR)
    return work
