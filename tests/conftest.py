"""Suite-wide policy for tests that run real processes over loopback.

Tests under tests/sip, tests/e2e and tests/scale start pjsua2 agents, sipp and Kamailio and time
real SIP/RTP on a 2-core machine that other tests load at the same time. Such a test gets ONE
rerun after a failure; pytest's summary lists every rerun ("R" / "rerun"), so flakiness stays
visible instead of turning the whole run red or being hidden. Pure and in-process tests never
rerun.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REAL_PROCESS_DIRS = ("sip", "e2e", "scale", "net")
RERUNS_COUNT = 1
RERUN_DELAY_S = 2.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("rerunfailures"):
        return
    tests_dir = Path(__file__).resolve().parent
    for item in items:
        try:
            area = Path(str(item.fspath)).resolve().relative_to(tests_dir).parts[0]
        except ValueError:
            continue
        if area in REAL_PROCESS_DIRS and item.get_closest_marker("flaky") is None:
            item.add_marker(pytest.mark.flaky(reruns=RERUNS_COUNT, reruns_delay=RERUN_DELAY_S))
