"""Fixtures of the console tests; the helpers live in consolekit.py."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from consolekit import ConsoleKit, make_kit


@pytest.fixture
def kit(tmp_path: Path) -> Iterator[ConsoleKit]:
    yield from make_kit(tmp_path)
