"""soxr resampling (ivr.media.fast_resample), used where a caller waits for a render: the same
properties the numpy filter is held to (tests/media/test_dsp.py), and close agreement with it."""

from __future__ import annotations

import numpy as np
import pytest

from ivr.media.fast_resample import resample_fast
from ivr.media.levels import dbfs, frame_rms
from ivr.media.resample import resample


def _tone(rate: int, hz: float, amp: float = 10000.0, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * hz * t)).astype(np.int16)


@pytest.mark.parametrize(("src", "dst", "hz"),
                         [(22050, 8000, 1000), (22050, 16000, 3000), (8000, 16000, 700),
                          (48000, 8000, 440)])
def test_keeps_frequency_level_and_length_and_agrees_with_the_numpy_filter(src, dst, hz):
    x = _tone(src, hz)
    y = resample_fast(x, src, dst)
    assert y.dtype == np.int16 and len(y) == len(x) * dst // src
    mid = y[dst // 8: -dst // 8]
    spec = np.abs(np.fft.rfft(mid.astype(np.float64) * np.hanning(len(mid))))
    assert np.argmax(spec) * dst / len(mid) == pytest.approx(hz, abs=dst / len(mid) * 2)
    assert dbfs(frame_rms(mid)) == pytest.approx(dbfs(frame_rms(x)), abs=0.2)
    ref = resample(x, src, dst)[dst // 8: -dst // 8]
    assert np.max(np.abs(mid.astype(int) - ref.astype(int))) < 200  # < -44 dBFS apart


def test_removes_what_does_not_fit_below_the_new_nyquist():
    y = resample_fast(_tone(16000, 5000), 16000, 8000)
    assert dbfs(frame_rms(y[800:-800])) < dbfs(10000 / np.sqrt(2)) - 60


def test_bad_rates_and_tiny_inputs():
    with pytest.raises(ValueError, match="rates must be positive"):
        resample_fast(np.zeros(10, np.int16), 0, 8000)
    assert len(resample_fast(np.zeros(1, np.int16), 22050, 8000)) == 0
    assert len(resample_fast(np.ones(3, np.int16), 8000, 16000)) == 6
