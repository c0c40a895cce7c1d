"""The standard-phrase catalogue: phrase model, the variables a phrase may use, rendering."""

from __future__ import annotations

import re
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

def required_prompt_ids() -> frozenset[str]:
    """Every phrase the policy may play: each rule module declares the ids it needs (its
    PROMPTS) and ivr.policy.catalogue gathers them. The policy owns this requirement and itself
    imports config, so it is looked up lazily, here only: the one place config asks the policy.
    """
    from ivr.policy.catalogue import required_prompt_ids as gathered

    return gathered()


# A prompt id becomes a file name (audio/<locale>/<id>.wav, the render cache): lower-case ASCII
# letters, digits and underscores only, so no id can name a path outside those folders.
PROMPT_ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
PROMPT_ID_RULE = "a-z first, then a-z, 0-9 or _, at most 64 characters ([a-z][a-z0-9_]{0,63})"
_PROMPT_ID_RE = re.compile(PROMPT_ID_PATTERN)
PromptId = Annotated[str, Field(pattern=PROMPT_ID_PATTERN)]


def prompt_id_problem(value: object) -> str | None:
    """None for a valid prompt id, else a one-line reason naming the value and the rule."""
    if isinstance(value, str) and _PROMPT_ID_RE.fullmatch(value):
        return None
    return f"prompt id {str(value)[:80]!r} is not valid: {PROMPT_ID_RULE}"


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
    prompts: dict[PromptId, PromptDef]


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
