"""Fixtures of the `ivr simulate` tests: WAV files made at test time from real speech."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ivr.media.wavio import read_wav, write_wav

SPEECH_WAV = Path(
    "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav"
)
from sim_support import QUIET_DBFS, at_level  # noqa: E402


@pytest.fixture(scope="session")
def speech_audio():
    if not SPEECH_WAV.exists():
        pytest.skip(f"{SPEECH_WAV} missing: install the Debian package pocketsphinx-testdata")
    return read_wav(SPEECH_WAV)


@pytest.fixture
def silent_wav(tmp_path: Path) -> Path:
    path = tmp_path / "silent.wav"
    write_wav(path, np.zeros(8000 * 5, dtype=np.int16), 8000)
    return path


@pytest.fixture
def quiet_wav(tmp_path: Path, speech_audio) -> Path:
    path = tmp_path / "quiet.wav"
    write_wav(path, at_level(speech_audio.samples, speech_audio.rate_hz, QUIET_DBFS),
              speech_audio.rate_hz)
    return path


@pytest.fixture
def normal_wav(tmp_path: Path, speech_audio) -> Path:
    path = tmp_path / "normal.wav"
    write_wav(path, at_level(speech_audio.samples, speech_audio.rate_hz, -22.0),
              speech_audio.rate_hz)
    return path
