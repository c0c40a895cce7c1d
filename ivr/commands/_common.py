"""What every command does the same way: read the settings the same way (--config, --set,
--db, IVR_DATABASE_URL), or say, per problem, why not."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any

from ivr.config import ConfigError, Settings, cli_overrides, load_settings

PathOrArgs = str | os.PathLike[str] | argparse.Namespace | None


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """`--set section.key=value` pairs, then `--db URL` as database.url (raises ConfigError)."""
    return cli_overrides(getattr(args, "set", None) or [], getattr(args, "db", None))


def settings_from(args: argparse.Namespace) -> Settings:
    """The validated settings a command runs with (raises ConfigError)."""
    return load_settings(getattr(args, "config", None), overrides=overrides_from(args))


def load_or_report(
    source: PathOrArgs, *, overrides: Mapping[str, Any] | None = None, prefix: str = ""
) -> Settings | None:
    """The settings, or None after printing one line per problem (file: key = value: allowed).

    `source` is the parsed command line (its --config, --set and --db apply) or a config path.
    """
    try:
        if isinstance(source, argparse.Namespace):
            merged = overrides_from(source)
            merged.update(overrides or {})
            return load_settings(getattr(source, "config", None), overrides=merged)
        return load_settings(source, overrides=overrides)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"{prefix}{problem}", file=sys.stderr)
        return None
