"""Fixtures for cross-host tests: a private LAN of network namespaces per test, and one data
directory per test session (prompts rendered once). Skipped, with the reason, where namespaces
cannot be created (not root, no iproute2, a container without CAP_SYS_ADMIN)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))

from netkit import Lan, NetnsUnavailable


@pytest.fixture(scope="session")
def net_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The agents' IVR_DATA_DIR: every prompt rendered here once for the session."""
    data = tmp_path_factory.mktemp("ivr-net-data")
    old = os.environ.get("IVR_DATA_DIR")
    os.environ["IVR_DATA_DIR"] = str(data)
    try:
        from ivr.config import load_settings
        from ivr.media.prompt_library import PromptLibrary

        with PromptLibrary(load_settings(None)) as library:
            report = library.render_all()
        assert not report.failed, f"prompts failed to render: {report.failed}"
    finally:
        if old is None:
            os.environ.pop("IVR_DATA_DIR", None)
        else:
            os.environ["IVR_DATA_DIR"] = old
    return data


@pytest.fixture
def make_lan() -> Iterator[Callable[..., Lan]]:
    """make_lan(["agent", "caller", ...]) -> a Lan, deleted after the test even on failure."""
    lans: list[Lan] = []

    def make(names: list[str]) -> Lan:
        try:
            lan = Lan(names)
        except NetnsUnavailable as exc:
            pytest.skip(f"network namespaces cannot be created here: {exc}")
        lans.append(lan)
        return lan

    yield make
    for lan in lans:
        lan.close()
