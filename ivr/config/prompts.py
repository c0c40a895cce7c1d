"""The standard-phrase catalogue: phrase model, the variables a phrase may use, rendering."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ivr.config.constants import Locale

if TYPE_CHECKING:
    from ivr.config.settings import Settings

CONFIG_VARIABLES = frozenset({"company", "agent_name", "hotline", "opening_hours"})
CALL_VARIABLES = frozenset(
    {"surname", "title", "hours", "ticket_no", "days", "text", "number"}
)
KNOWN_VARIABLES = CONFIG_VARIABLES | CALL_VARIABLES

# Every phrase the policy may play (the seeds' catalogue plus the menu around it).
REQUIRED_PROMPT_IDS = frozenset(
    {
        "greeting",
        "greeting_holiday_festival",
        "greeting_holiday_new_year",
        "greeting_surname",
        "queue_wait_apology",
        "menu",
        "silent_reprompt",
        "silent_final_notice",
        "silent_goodbye",
        "low_volume_speak_louder",
        "low_volume_pick_up_handset",
        "low_volume_call_again",
        "noisy_line",
        "dialect_speak_mandarin",
        "dialect_ask_someone_nearby",
        "dialect_final",
        "repeat_please",
        "wrong_number",
        "out_of_scope",
        "named_colleague",
        "named_colleague_insist",
        "personal_info",
        "personal_info_insist",
        "harassment_warning",
        "harassment_final",
        "angry_caller",
        "complaint_apology",
        "complaint_ask_details",
        "complaint_readback_intro",
        "complaint_confirm",
        "complaint_promise",
        "complaint_ticket_number",
        "suggestion_ask",
        "suggestion_thanks",
        "thanks_reply",
        "hold_short",
        "hold_long",
        "hold_thanks",
        "inquiry_ask",
        "callback_promise",
        "contact_number_use_caller",
        "contact_number_ask",
        "contact_number_confirm",
        "contact_number_retry",
        "transfer_notice",
        "transfer_failed",
        "after_hours",
        "survey",
        "survey_thanks",
        "closing_anything_else",
        "closing_understood",
        "closing_goodbye",
    }
)


class PromptDef(BaseModel):
    """One standard phrase: its text and whether a caller may talk over it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: Annotated[str, Field(min_length=1)]
    barge_in: bool = True
    seed: str = ""

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(
            name for _, name, _, _ in string.Formatter().parse(self.text) if name is not None
        )


class PromptFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    locale: Locale
    prompts: dict[str, PromptDef]


# Errors --------------------------------------------------------------------------------------


def config_variables(settings: Settings, locale: str) -> dict[str, str]:
    """Values of the variables every phrase may use that come from config, not from the call."""
    business = settings.business
    return {
        "company": settings.company(locale),
        "agent_name": settings.agent(locale),
        "hotline": settings.service.hotline_number,
        "opening_hours": f"{business.opens_at}-{business.closes_at}",
    }


def render_text(prompt: PromptDef, variables: Mapping[str, Any]) -> str:
    """Fill a phrase's variables; a missing value is an error naming the variable."""
    missing = prompt.variables - set(variables)
    if missing:
        raise KeyError(f"phrase {prompt.text!r} needs variables {sorted(missing)}")
    return prompt.text.format_map(dict(variables))
