"""Fixtures of the policy tests: the real configuration, loaded once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/fakes.py

from ivr.config import Settings, load_settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The real configuration, without the contact-number dialogue before callback promises.

    That dialogue (rules/contact_number.py) runs before every promise and has its own tests
    with the real configuration (test_contact_number.py, fixture ``real_settings``); the tests
    of the other rules time their promises without it.
    """
    return load_settings(overrides={"contact_number": {"enabled": False}})


@pytest.fixture(scope="session")
def real_settings() -> Settings:
    return load_settings()
