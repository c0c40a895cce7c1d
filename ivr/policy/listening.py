"""What the policy listens for, per intent: the phrases a model's lexicon must cover.

`ivr models check` and `ivr doctor` check these against the installed model (ivr.media.lexicon);
a step whose phrases the model cannot hear falls back to full-vocabulary recognition.
"""

from __future__ import annotations

from ivr.config import Settings
from ivr.policy import spoken_digits

DIGITS = "digits"  # the number steps (callback number, reference number)


def phrases_by_intent(settings: Settings, locale: str) -> dict[str, tuple[str, ...]]:
    """Every configured keyword list of ``locale``, plus the spoken-digit words."""
    table = dict(settings.keywords(locale))
    table[DIGITS] = spoken_digits.digit_words(locale)
    return table


# Keyword lists that are no answer a dialogue step acts on by themselves.
NOT_IN_GRAMMAR = frozenset({"surname_intro", "caller_title"})


def keyword_grammar(settings: Settings, locale: str) -> tuple[str, ...]:
    """Every phrase a dialogue step acts on, once each, in a stable order (a Listen grammar)."""
    phrases = {phrase.strip() for name, words in settings.keywords(locale).items()
               if name not in NOT_IN_GRAMMAR for phrase in words if phrase.strip()}
    return tuple(sorted(phrases))
