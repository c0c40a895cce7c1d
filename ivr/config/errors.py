"""Config problems and how a pydantic error becomes one line naming file, key, value, range."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError


@dataclass(frozen=True)
class ConfigProblem:
    file: str
    key: str
    value: Any
    message: str

    def __str__(self) -> str:
        shown = "" if self.value is _MISSING else f" = {_cut(repr(self.value))}"
        return _one_line(f"{self.file}: {self.key or '<top>'}{shown}: {self.message}")


MAX_SHOWN_VALUE = 200  # characters of a value shown in a problem line


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_VALUE else text[:MAX_SHOWN_VALUE] + "..."


def _one_line(text: str) -> str:
    """Control characters escaped: a key or message from a file never starts a new line."""
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


class ConfigError(ValueError):
    """A configuration or catalogue that cannot be used; lists every problem found."""

    def __init__(self, problems: Iterable[ConfigProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


_MISSING = object()


def _value_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return _MISSING
    return data


def _allowed_range(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """Describe the bounds of the field at `loc`, so an error shows the whole allowed range."""
    current: Any = model
    field = None
    for part in loc:
        if (
            isinstance(current, type)
            and issubclass(current, BaseModel)
            and part in current.model_fields
        ):
            field = current.model_fields[part]
            current = field.annotation
            inner = getattr(current, "__args__", ())
            models = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
            if models:
                current = models[-1]
        else:
            continue
    if field is None:
        return ""
    bounds = []
    for meta in field.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(meta, attr, None) is not None:
                bounds.append(f"{sym} {getattr(meta, attr)}")
    return f" (allowed: {' and '.join(bounds)})" if bounds else ""


def _problems_from(
    exc: ValidationError, file: str, data: Any, model: type[BaseModel]
) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc)
        value = _value_at(data, loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            message = "unknown key (check the spelling; see config/ivr.toml for every key)"
        elif kind == "missing":
            message = "required key is missing"
        else:
            message = err["msg"] + _allowed_range(model, loc)
        problems.append(ConfigProblem(file=file, key=key, value=value, message=message))
    return problems
