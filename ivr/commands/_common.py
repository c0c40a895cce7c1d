"""What every command does the same way: load the settings or say, per problem, why not."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from ivr.config import ConfigError, Settings, load_settings


def load_or_report(
    path: str | None, *, overrides: Mapping[str, Any] | None = None, prefix: str = ""
) -> Settings | None:
    """The settings, or None after printing one line per problem (file: key = value: allowed)."""
    try:
        return load_settings(path, overrides=overrides)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"{prefix}{problem}", file=sys.stderr)
        return None
