"""Sections for the audio side: VAD, line verdict thresholds, recogniser and renderer."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ivr.config.base import Dbfs, Section
from ivr.config.constants import DEFAULT_TTS_RATE_WPM


class VadSettings(Section):
    aggressiveness_level: Annotated[int, Field(ge=0, le=3)] = 2
    hangover_ms: Annotated[int, Field(ge=0, le=2000)] = 300
    frame_ms: Literal[10, 20, 30] = 20
    noise_margin_db: Annotated[float, Field(ge=0.0, le=30.0)] = 6.0
    preroll_ms: Annotated[int, Field(ge=0, le=1000)] = 300


class LineSettings(Section):
    window_s: Annotated[float, Field(ge=0.2, le=10.0)] = 1.0
    low_volume_below_dbfs: Dbfs = -40.0
    noisy_snr_below_db: Annotated[float, Field(ge=0.0, le=40.0)] = 10.0
    noisy_floor_above_dbfs: Dbfs = -35.0
    silent_below_dbfs: Dbfs = -60.0
    clipping_ratio_above: Annotated[float, Field(ge=0.0, le=1.0)] = 0.01

    @model_validator(mode="after")
    def _levels_ordered(self) -> LineSettings:
        if self.silent_below_dbfs >= self.low_volume_below_dbfs:
            raise ValueError(
                f"silent_below_dbfs ({self.silent_below_dbfs}) must be below "
                f"low_volume_below_dbfs ({self.low_volume_below_dbfs})"
            )
        return self


class AsrSettings(Section):
    model: str = "auto"
    min_confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.55
    workers_count: Annotated[int, Field(ge=1, le=16)] = 2
    # Unix socket of the host's recogniser service (one model for every worker); "" = load the
    # model in this process. `ivr serve --workers N` sets it for its workers.
    service_socket: str = ""
    # "dialogue": dialogue steps listen for the keywords only (grammar mode, cheap); the opening
    # question and recordings keep full vocabulary. "off": full vocabulary everywhere.
    live_grammar: Literal["dialogue", "off"] = "dialogue"
    # Full-vocabulary transcript of complaint recordings after the call (lowest priority).
    transcribe_recordings: bool = True


SampleRate = Literal[8000, 16000]
SAMPLE_RATES: tuple[SampleRate, ...] = (8000, 16000)


class TtsSettings(Section):
    engine: Literal["espeak"] = "espeak"
    voices: dict[str, str] = Field(
        default_factory=lambda: {"zh-CN": "sit/cmn", "en-US": "gmw/en-us"}
    )
    # espeak-ng's Mandarin voice counts syllables as words: 170 "wpm" is about 2.6 characters a
    # second, far slower than a person speaks (4-5), so each locale has its own rate.
    rate_wpm: dict[str, Annotated[int, Field(ge=80, le=450)]] = Field(
        default_factory=lambda: {"zh-CN": 260, "en-US": 170}
    )
    volume: Annotated[float, Field(ge=0.1, le=1.0)] = 1.0
    target_level_dbfs: Annotated[float, Field(ge=-40.0, le=-6.0)] = -20.0
    sample_rates_hz: list[SampleRate] = Field(default_factory=lambda: list(SAMPLE_RATES))

    def rate_for(self, locale: str) -> int:
        return self.rate_wpm.get(locale) or DEFAULT_TTS_RATE_WPM
