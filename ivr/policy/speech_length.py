"""How long a phrase takes to say, estimated from its text (no audio needed).

Used by the virtual-time driver and `ivr simulate` when no rendered prompt exists. The speaking
rate is the configured tts.rate_wpm for the locale (espeak-ng counts Mandarin in syllables: one
character each; English in words), plus a short pause per punctuation mark and the renderer's
end silence. Checked against espeak-ng 1.51 (Mandarin at 260, English at 170): the zh-CN
greeting estimates 10.6 s and renders 10.7 s; phrases land within about 10 %.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from typing import Any

from ivr.config import Settings, config_variables

DEFAULT_RATE_PER_MIN = {"zh-CN": 260, "en-US": 170}
FALLBACK_RATE_PER_MIN = 170
PAUSE_PER_PUNCTUATION_S = 0.1
END_SILENCE_S = 0.3
MIN_PHRASE_S = 0.5
PUNCTUATION = frozenset(",.?!;:，。？！；：、…")
# Stands in for call variables (hours, ticket_no...) a caller has not been told yet.
PLACEHOLDER = "00"
_WORD = re.compile(r"[A-Za-z0-9']+")


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return PLACEHOLDER


def render(settings: Settings, locale: str, prompt_id: str,
           variables: Mapping[str, Any] | None = None) -> str:
    """The words of a catalogue phrase with config and call variables filled in."""
    prompt = settings.prompts[locale][prompt_id]
    values = _Defaulting(config_variables(settings, locale))
    values.update(variables or {})
    return string.Formatter().vformat(prompt.text, (), values)


def speech_units(text: str, locale: str) -> int:
    """Syllables (one per character) for Chinese, words otherwise."""
    if locale.startswith("zh"):
        return sum(1 for ch in text if not ch.isspace() and ch not in PUNCTUATION)
    return len(_WORD.findall(text))


def text_seconds(text: str, locale: str, rate_per_min: int | None = None) -> float:
    """Seconds to say `text` at `rate_per_min` (default: the locale's usual rate), to the ms."""
    rate = rate_per_min or DEFAULT_RATE_PER_MIN.get(locale, FALLBACK_RATE_PER_MIN)
    pauses = sum(1 for ch in text if ch in PUNCTUATION)
    seconds = speech_units(text, locale) * 60.0 / rate + pauses * PAUSE_PER_PUNCTUATION_S
    return round(max(MIN_PHRASE_S, seconds + END_SILENCE_S), 3)


def phrase_seconds(settings: Settings, locale: str, prompt_id: str,
                   variables: Mapping[str, Any] | None = None) -> float:
    """Seconds of a catalogue phrase at the configured tts rate for the locale."""
    text = render(settings, locale, prompt_id, variables)
    return text_seconds(text, locale, settings.tts.rate_for(locale))


def say_seconds(settings: Settings, locale: str, text: str) -> float:
    """Seconds of runtime text (a read-back) at the configured tts rate."""
    return text_seconds(text, locale, settings.tts.rate_for(locale))
