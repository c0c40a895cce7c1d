"""The line thresholds come from the settings, key by key, with the config schema as the one
source of defaults and allowed ranges (no second copy in ivr/media to drift)."""

from __future__ import annotations

import dataclasses

from ivr.config import LineSettings, Settings, VadSettings, load_settings
from ivr.media.monitor import LineThresholds

# config key -> LineThresholds field; every [vad] key but frame_ms (the frame size is the SIP
# layer's) and every [line] key.
VAD_KEYS = {
    "aggressiveness_level": "vad_aggressiveness",
    "hangover_ms": "vad_hangover_ms",
    "noise_margin_db": "noise_margin_db",
    "preroll_ms": "preroll_ms",
}
LINE_KEYS = {name: name for name in LineSettings.model_fields}


def _bounds(model: type, key: str) -> list[float]:
    out = []
    for meta in model.model_fields[key].metadata:  # type: ignore[attr-defined]
        for attr in ("ge", "le"):
            if getattr(meta, attr, None) is not None:
                out.append(getattr(meta, attr))
    return out


def test_every_vad_and_line_key_is_mapped():
    assert set(VadSettings.model_fields) - set(VAD_KEYS) == {"frame_ms"}
    fields = {f.name for f in dataclasses.fields(LineThresholds)}
    assert set(VAD_KEYS.values()) | set(LINE_KEYS.values()) <= fields


def test_defaults_are_the_config_defaults():
    assert LineThresholds() == LineThresholds.from_settings(Settings())


def test_every_allowed_value_of_the_config_reaches_the_thresholds():
    base = Settings()
    for section, model, keys in (("vad", VadSettings, VAD_KEYS), ("line", LineSettings, LINE_KEYS)):
        for key, field in keys.items():
            for value in _bounds(model, key):
                try:
                    settings = load_settings(overrides={section: {key: value}})
                except ValueError:
                    continue  # refused by a cross-key rule (silent below low volume)
                th = LineThresholds.from_settings(settings)
                assert getattr(th, field) == value, (section, key, value)
                # ... and nothing else moved.
                others = dataclasses.replace(th, **{field: getattr(LineThresholds(), field)})
                assert others == LineThresholds.from_settings(base), (section, key)
