"""The base of every settings section and the bounded value types they share."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Seconds = Annotated[float, Field(ge=0.5, le=120.0)]
ShortSeconds = Annotated[float, Field(ge=0.0, le=30.0)]
Count = Annotated[int, Field(ge=0, le=10)]
Dbfs = Annotated[float, Field(ge=-96.0, le=0.0)]
Digit = Annotated[str, Field(pattern=r"^[0-9*#]$")]
Hhmm = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class Section(BaseModel):
    """Base of every section: unknown keys are errors, values are immutable after load."""

    model_config = ConfigDict(extra="forbid", frozen=True)
