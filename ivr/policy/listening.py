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
