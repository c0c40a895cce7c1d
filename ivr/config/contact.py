"""Section for the callback contact number (seed 001 特殊沟通内容 11, 用户抱怨和投诉 4 and 6)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from ivr.config.base import Seconds, Section
from ivr.config.prompts import required_prompt_ids

# Digits a callback number may have: a local landline without area code has 7, E.164 allows 15.
MIN_CONTACT_DIGITS = 7
MAX_CONTACT_DIGITS = 15
CONTACT_TIMEOUT_S = 10.0  # to start answering (saying or keying the number)
INTER_DIGIT_S = 4.0  # keyed digits without the end key are taken after this pause
CONTACT_ATTEMPTS = 2
# The phrases that promise a callback; the number is asked before them.
CALLBACK_PROMISES = ("callback_promise", "transfer_failed", "after_hours")


class ContactNumberSettings(Section):
    """Ask for (or confirm) the number a callback goes to; read it back; attach it."""

    enabled: bool = True
    min_digits_count: Annotated[int, Field(ge=3, le=20)] = MIN_CONTACT_DIGITS
    max_digits_count: Annotated[int, Field(ge=3, le=20)] = MAX_CONTACT_DIGITS
    timeout_s: Seconds = CONTACT_TIMEOUT_S
    inter_digit_s: Annotated[float, Field(ge=1.0, le=20.0)] = INTER_DIGIT_S
    attempts_count: Annotated[int, Field(ge=1, le=5)] = CONTACT_ATTEMPTS
    promise_prompts: list[str] = Field(default_factory=lambda: list(CALLBACK_PROMISES))

    @model_validator(mode="after")
    def _range(self) -> ContactNumberSettings:
        if self.min_digits_count > self.max_digits_count:
            raise ValueError(f"min_digits_count {self.min_digits_count} is above "
                             f"max_digits_count {self.max_digits_count}")
        unknown = sorted(set(self.promise_prompts) - required_prompt_ids())
        if unknown:
            raise ValueError(f"promise_prompts: unknown prompt ids {unknown}; use ids of "
                             f"prompts/<locale>.toml such as {list(CALLBACK_PROMISES)}")
        return self
