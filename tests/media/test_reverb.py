"""Speakerphone detection (seed 000 第十七条 5 免提): real speech, dry and in a synthetic room.

pocketsphinx-testdata speech (librivox, about 40 s) is the dry, close-talk caller; convolved with
an exponentially decaying noise room response (RT60 0.6 s, direct-to-reverberant 0 dB) it is
the same caller on a hands-free phone across a room. Runtime ~2 s.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ivr.media.resample import resample
from ivr.media.reverb import ReverbEstimator, estimate_decay_s, frame_db
from ivr.media.wavio import read_wav

SPEECH_DIR = Path("/usr/share/pocketsphinx/test/data")
RATE = 8000


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    files = sorted(SPEECH_DIR.rglob("*.wav"))
    if not files:
        pytest.skip("pocketsphinx-testdata is not installed")
    parts = []
    for path in files:
        audio = read_wav(path)
        parts += [resample(audio.samples, audio.rate_hz, RATE).astype(np.float64),
                  np.zeros(RATE // 2)]
    return np.concatenate(parts)


def room(rt60_s: float, drr_db: float = 0.0, seed: int = 1) -> np.ndarray:
    """A synthetic room impulse response: the direct sound plus a decaying noise tail."""
    rng = np.random.default_rng(seed)
    n = int(RATE * rt60_s * 1.2)
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * 10 ** (-3 * t / rt60_s)
    tail[: int(0.003 * RATE)] = 0.0
    tail *= 10 ** (-drr_db / 20) / np.sqrt(np.sum(tail**2))
    tail[0] += 1.0
    return tail


def line(x: np.ndarray) -> np.ndarray:
    """At a telephone level, with a -80 dBFS line floor."""
    y = x / np.max(np.abs(x)) * 0.3 * 32767
    y += np.random.default_rng(0).standard_normal(len(y)) * 3.0
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def test_dry_speech_is_not_reverberant(speech):
    decay = estimate_decay_s(line(speech), RATE)
    assert decay is not None and decay < 0.25


@pytest.mark.parametrize("rt60", [0.6, 0.9])
def test_speech_in_a_room_is_reverberant(speech, rt60):
    wet = np.convolve(speech, room(rt60))[: len(speech)]
    decay = estimate_decay_s(line(wet), RATE)
    assert decay is not None and decay >= 0.35


def test_streaming_verdict_follows_the_threshold(speech):
    wet = line(np.convolve(speech, room(0.6))[: len(speech)])
    est = ReverbEstimator(threshold_s=0.35)
    assert not est.reverberant  # no verdict before enough offsets
    for db in frame_db(wet, RATE):
        est.push_db(float(db))
    assert est.reverberant
    strict = ReverbEstimator(threshold_s=2.0)
    for db in frame_db(wet, RATE):
        strict.push_db(float(db))
    assert not strict.reverberant


def test_frame_path_matches_the_whole_signal_estimate(speech):
    """The session feeds 20 ms call frames (push_frame); the verdict is the same."""
    wet = line(np.convolve(speech, room(0.6))[: len(speech)])
    est = ReverbEstimator()
    for i in range(0, len(wet) - 160 + 1, 160):
        est.push_frame(wet[i:i + 160], RATE)
    assert est.decay_s == pytest.approx(estimate_decay_s(wet, RATE), abs=0.05)
