"""Reading TOML files, merging `--set` overrides, and loading settings with their catalogues."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ivr.config.constants import (
    CONFIG_ENV,
    DATABASE_URL_ENV,
    DEFAULT_CONFIG_PATH,
    LOCALES,
    share_candidates,
)
from ivr.config.errors import _MISSING, ConfigError, ConfigProblem, _problems_from
from ivr.config.prompts import KNOWN_VARIABLES, PromptDef, PromptFile, required_prompt_ids
from ivr.config.settings import Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


MAX_FILE_BYTES = 4 * 1024 * 1024  # the shipped config is 15 kB, a catalogue 10 kB
MAX_NESTING = 16  # tables and arrays inside each other; no setting nests deeper than 4


def _read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as data, or ConfigError with one line naming the file: missing, unreadable,
    too big, not UTF-8, not TOML, or nested deeper than any setting (which, thousands deep,
    once ended in a RecursionError)."""

    def refuse(message: str) -> ConfigError:
        return ConfigError([ConfigProblem(str(path), "", _MISSING, message)])

    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise refuse(f"is {size / 2**20:.1f} MiB; a configuration file is at most "
                         f"{MAX_FILE_BYTES // 2**20} MiB")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise refuse("file not found") from None
    except OSError as exc:
        raise refuse(f"cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise refuse(f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at line {line}, column "
                     f"{column} (save the file as UTF-8)") from None
    return _parse_toml(text.removeprefix("\ufeff"), refuse)


def _parse_toml(text: str, refuse: Callable[[str], ConfigError]) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise refuse(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise refuse(f"nested too deeply to read (settings nest at most {MAX_NESTING} "
                     "levels)") from None
    where = _too_deep(data)
    if where is not None:
        raise refuse(f"nested more than {MAX_NESTING} levels at {where} (no setting nests "
                     "like that)")
    return data


def _too_deep(data: Any) -> str | None:
    """The key path where `data` nests deeper than MAX_NESTING, else None (iterative: a
    recursive walk is what must not happen here)."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        node, depth, where = stack.pop()
        if depth > MAX_NESTING:
            return where or "<top>"
        if isinstance(node, dict):
            stack.extend((v, depth + 1, f"{where}.{k}" if where else str(k))
                         for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, depth + 1, f"{where}[{i}]") for i, v in enumerate(node))
    return None


# Loading -------------------------------------------------------------------------------------


def resolve_config_path(path: str | os.PathLike[str] | None) -> Path:
    if path:
        return Path(path)
    env = os.environ.get(CONFIG_ENV)
    return Path(env) if env else DEFAULT_CONFIG_PATH


def load_prompt_file(path: Path, locale: str) -> tuple[dict[str, PromptDef], list[ConfigProblem]]:
    """Read one catalogue; return the phrases and every problem with them."""
    data = _read_toml(path)
    try:
        parsed = PromptFile.model_validate(data)
    except ValidationError as exc:
        return {}, _problems_from(exc, str(path), data, PromptFile)
    problems = []
    if parsed.locale != locale:
        problems.append(ConfigProblem(str(path), "locale", parsed.locale, f"expected {locale!r}"))
    for missing in sorted(required_prompt_ids() - set(parsed.prompts)):
        problems.append(
            ConfigProblem(
                str(path), f"prompts.{missing}", _MISSING, "required prompt id is missing"
            )
        )
    for prompt_id, prompt in sorted(parsed.prompts.items()):
        unknown = prompt.variables - KNOWN_VARIABLES
        if unknown:
            problems.append(
                ConfigProblem(
                    str(path),
                    f"prompts.{prompt_id}.text",
                    prompt.text,
                    f"unknown variables {sorted(unknown)} (allowed: {sorted(KNOWN_VARIABLES)})",
                )
            )
    return dict(parsed.prompts), problems


def load_settings(
    path: str | os.PathLike[str] | None = None, *, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Load, validate and return the settings with both prompt catalogues attached.

    database.url comes from `overrides` (--db), else $IVR_DATABASE_URL, else the file.

    Raises ConfigError listing every problem (file, key, value, allowed range).
    """
    config_path = resolve_config_path(path)
    if config_path == DEFAULT_CONFIG_PATH and not config_path.is_file():
        looked = ", ".join(str(c / "config" / "ivr.toml") for c in share_candidates())
        raise ConfigError([ConfigProblem(
            str(config_path), "", _MISSING,
            f"no default configuration installed (looked in {looked}); set {CONFIG_ENV}=/path/"
            f"to/ivr.toml or pass --config, with prompts/ beside it (or paths.prompts_dir)",
        )])
    if os.environ.get(CONFIG_ENV) == str(config_path) and not config_path.is_file():
        raise ConfigError([ConfigProblem(
            str(config_path), "", _MISSING,
            f"file not found (named by the environment variable {CONFIG_ENV})",
        )])
    data = _read_toml(config_path)
    env_url = os.environ.get(DATABASE_URL_ENV)
    if env_url:
        data = _merge(data, {"database": {"url": env_url}})
    if overrides:
        data = _merge(data, overrides)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_problems_from(exc, str(config_path), data, Settings)) from None
    problems: list[ConfigProblem] = []
    catalogues: dict[str, dict[str, PromptDef]] = {}
    settings = settings.model_copy(update={"source": str(config_path)})
    prompts_dir = settings.prompts_dir
    for locale in LOCALES:
        catalogue, found = load_prompt_file(prompts_dir / f"{locale}.toml", locale)
        catalogues[locale] = catalogue
        problems.extend(found)
    if problems:
        raise ConfigError(problems)
    return settings.model_copy(update={"prompts": catalogues})


def _merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_prompt_catalogue(locale: str, settings: Settings) -> dict[str, PromptDef]:
    return settings.prompts[locale]


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """`section.key=value` pairs (values in TOML syntax, bare words as strings) as overrides."""
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        parts = [p.strip() for p in key.split(".") if p.strip()]
        if not sep or len(parts) < 2:
            raise ConfigError(
                [ConfigProblem("--set", item, _MISSING, "expected section.key=value")]
            )
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        except RecursionError:
            raise ConfigError([ConfigProblem("--set", key.strip(), _MISSING,
                                             "value nested too deeply to read")]) from None
        if _too_deep(value) is not None:
            raise ConfigError([ConfigProblem("--set", key.strip(), _MISSING,
                                             f"value nested more than {MAX_NESTING} levels")])
        node = overrides
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return overrides


def cli_overrides(assignments: Iterable[str] = (), db_url: str | None = None) -> dict[str, Any]:
    """The overrides of a command line: `--set section.key=value` pairs, then `--db URL` as
    database.url (raises ConfigError for a malformed pair)."""
    overrides = parse_assignments(assignments)
    if db_url:
        overrides.setdefault("database", {})["url"] = db_url
    return overrides


# Settings that may hold a secret: never forwarded on a child's command line (visible in ps).
SECRET_SETTINGS = frozenset({"database.url"})


def without_secrets(assignments: Iterable[str]) -> list[str]:
    """The `--set` pairs that may go on a command line: secrets go through the environment."""
    return [a for a in assignments if a.partition("=")[0].strip() not in SECRET_SETTINGS]
