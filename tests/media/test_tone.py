"""The recording tone (issue 13 defect 6): frequency, level and length as configured."""

from __future__ import annotations

import numpy as np
import pytest

from ivr.media.tone import tone_pcm


@pytest.mark.parametrize("rate", [8000, 16000])
def test_tone_frequency_level_and_length(rate):
    pcm = tone_pcm(1000.0, 400, -12.0, rate)
    assert len(pcm) == rate * 400 // 1000
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
    peak_hz = np.argmax(spectrum) * rate / len(pcm)
    assert peak_hz == pytest.approx(1000.0, abs=rate / len(pcm))
    middle = pcm[len(pcm) // 4: 3 * len(pcm) // 4].astype(np.float64)
    rms_dbfs = 20 * np.log10(np.sqrt(np.mean(middle**2)) / 32767.0)
    assert rms_dbfs == pytest.approx(-12.0, abs=0.2)
    assert abs(int(pcm[0])) < 200 and abs(int(pcm[-1])) < 200  # ramps: no click


def test_a_tone_above_the_band_is_refused():
    with pytest.raises(ValueError, match="cannot be carried"):
        tone_pcm(5000.0, 400, -12.0, 8000)
