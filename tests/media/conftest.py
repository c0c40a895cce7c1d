"""Shared fixtures for the media tests: real speech from pocketsphinx-testdata, the eval set."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ivr.media.wavio import read_wav  # noqa: E402

SPEECH_WAV = Path(
    "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"
)


def _load_eval_module() -> ModuleType:
    path = REPO / "tests/data/make_eval_set.py"
    spec = importlib.util.spec_from_file_location("make_eval_set", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_eval_set"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def eval_module() -> ModuleType:
    return _load_eval_module()


@pytest.fixture(scope="session")
def eval_cases(eval_module: ModuleType) -> list:
    return eval_module.generate()


@pytest.fixture(scope="session")
def speech16k() -> np.ndarray:
    """About 3 s of real human speech, 16 kHz int16."""
    if not SPEECH_WAV.exists():
        pytest.skip("pocketsphinx-testdata is not installed")
    a = read_wav(SPEECH_WAV)
    assert a.rate_hz == 16000
    return a.samples
