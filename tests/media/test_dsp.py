"""G.711, resampling and levels: properties that must hold for any input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ivr.media import g711
from ivr.media.levels import active_speech_level_dbfs, dbfs, frame_rms, power_dbfs
from ivr.media.resample import resample

int16s = arrays(np.int16, st.integers(1, 400), elements=st.integers(-32768, 32767))


@pytest.mark.parametrize("law", ["mulaw", "alaw"])
def test_g711_every_code_round_trips(law: str) -> None:
    codes = np.arange(256, dtype=np.uint8)
    dec = g711.mulaw_decode if law == "mulaw" else g711.alaw_decode
    enc = g711.mulaw_encode if law == "mulaw" else g711.alaw_encode
    back = enc(dec(codes))
    if law == "mulaw":  # 0x7F and 0xFF both decode to 0 (negative and positive zero)
        keep = (codes != 0x7F)
        assert np.array_equal(back[keep], codes[keep])
    else:
        assert np.array_equal(back, codes)


@given(int16s, st.sampled_from(["mulaw", "alaw"]))
def test_g711_error_is_within_the_quantisation_step(x: np.ndarray, law: str) -> None:
    y = g711.through_g711(x, law).astype(np.int64)
    xi = x.astype(np.int64)
    # logarithmic companding: error at most ~1/16 of the magnitude, plus the smallest step
    assert np.all(np.abs(y - xi) <= np.abs(xi) / 16 + 64)
    assert np.array_equal(g711.through_g711(y.astype(np.int16), law), y)  # idempotent
    assert np.all(np.sign(y[np.abs(xi) > 64]) == np.sign(xi[np.abs(xi) > 64]))


def _tone(rate: int, hz: float, amp: float = 10000.0, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def _peak_hz(x: np.ndarray, rate: int) -> float:
    spec = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    return float(np.argmax(spec) * rate / len(x))


@pytest.mark.parametrize(
    ("src", "dst", "hz"),
    [(8000, 16000, 1000), (16000, 8000, 1000), (44100, 16000, 3000), (48000, 8000, 440),
     (22050, 8000, 2500), (11025, 16000, 700)],
)
def test_resample_keeps_frequency_and_level(src: int, dst: int, hz: int) -> None:
    x = _tone(src, hz)
    y = resample(x, src, dst)
    assert len(y) == len(x) * dst // src
    mid = y[dst // 8 : -dst // 8]
    assert _peak_hz(mid, dst) == pytest.approx(hz, abs=dst / len(mid) * 2)
    assert dbfs(frame_rms(mid)) == pytest.approx(dbfs(frame_rms(x)), abs=0.2)


def test_resample_removes_what_does_not_fit_below_the_new_nyquist() -> None:
    y = resample(_tone(16000, 5000), 16000, 8000)  # 5 kHz cannot exist at 8 kHz
    assert dbfs(frame_rms(y[800:-800])) < dbfs(10000 / np.sqrt(2)) - 60


@settings(max_examples=30, deadline=None)
@given(int16s, st.sampled_from([(8000, 16000), (16000, 8000), (48000, 16000), (22050, 8000)]))
def test_resample_length_and_dtype(x: np.ndarray, rates: tuple[int, int]) -> None:
    y = resample(x, *rates)
    assert y.dtype == np.int16
    assert len(y) == len(x) * rates[1] // rates[0]


def test_levels() -> None:
    assert dbfs(32768) == pytest.approx(0.0)
    assert dbfs(0) == -100.0
    assert power_dbfs(3276.8**2) == pytest.approx(-20.0)
    sine = _tone(16000, 440, 10000)
    assert dbfs(frame_rms(sine)) == pytest.approx(20 * np.log10(10000 / np.sqrt(2) / 32768),
                                                  abs=0.05)


def test_active_speech_level_ignores_pauses(speech16k: np.ndarray) -> None:
    level = active_speech_level_dbfs(speech16k, 16000)
    assert level is not None
    padded = np.concatenate([np.zeros(16000 * 3, np.int16), speech16k, np.zeros(16000 * 3,
                                                                                  np.int16)])
    assert active_speech_level_dbfs(padded, 16000) == pytest.approx(level, abs=0.5)
    quiet = (speech16k.astype(np.float64) * 10 ** (-30 / 20)).astype(np.int16)
    assert active_speech_level_dbfs(quiet, 16000) == pytest.approx(level - 30, abs=0.5)
    assert active_speech_level_dbfs(np.zeros(8000, np.int16), 16000) is None
