"""How long a phrase takes to say, estimated from its text (no audio needed).

Used by the virtual-time driver and `ivr simulate` when no rendered prompt exists. Rates are
espeak-ng's at the default speed: a 26-character Chinese greeting took 7.8 s (FACTS.md), about
3.3 characters a second; English at 170 words a minute is about 15 characters a second.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from ivr.config import Settings, config_variables

CHARS_PER_S = {"zh-CN": 3.3, "en-US": 15.0}
DEFAULT_CHARS_PER_S = 10.0
MIN_PHRASE_S = 0.5
# Stands in for call variables (hours, ticket_no...) a caller has not been told yet.
PLACEHOLDER = "00"


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


def text_seconds(text: str, locale: str) -> float:
    """Seconds to say `text` at the locale's speaking rate, to the millisecond."""
    chars = sum(1 for ch in text if not ch.isspace())
    rate = CHARS_PER_S.get(locale, DEFAULT_CHARS_PER_S)
    return round(max(MIN_PHRASE_S, chars / rate), 3)


def phrase_seconds(settings: Settings, locale: str, prompt_id: str,
                   variables: Mapping[str, Any] | None = None) -> float:
    return text_seconds(render(settings, locale, prompt_id, variables), locale)
