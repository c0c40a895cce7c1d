"""Shared plumbing of the `ivr tickets`, `ivr report` and `ivr db` commands: load settings,
build the service, turn expected failures into one clear line on stderr and an exit code."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from .types import DatabaseUnavailable, TicketError

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2  # the command cannot run as asked (e.g. a read-only command and no database)


class MissingDatabase(TicketError):
    """A read-only command was pointed at an SQLite file that does not exist."""


def load(args: argparse.Namespace) -> Any:
    """The validated settings for --config, --set and --db (ConfigError propagates to
    `guarded`)."""
    from ivr.config import cli_overrides, load_settings

    overrides = cli_overrides(getattr(args, "set", None) or [], getattr(args, "db", None))
    return load_settings(getattr(args, "config", None), overrides=overrides)


def service_for(settings: Any, url: str | None = None, *, read_only: bool = False) -> Any:
    """A started TicketService (SQLite upgraded, journal replayed); `url` overrides the
    configured database. `read_only`: an SQLite file that does not exist is refused
    (MissingDatabase) before anything is created, so a wrong --db or data directory is
    reported instead of answered from a new, empty database."""
    from . import db
    from .service import TicketService

    target = url or settings.database_url
    missing = db.missing_sqlite_file(target)
    if read_only and missing is not None:
        raise MissingDatabase(
            f"no ticket database at {missing} (check --db, $IVR_DATABASE_URL or "
            "database.url); nothing was created"
        )
    return TicketService.from_settings(settings, url=url)


def guarded(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run a command; config, ticket and database problems become one line, exit 1."""

    @functools.wraps(fn)
    def wrapper(args: argparse.Namespace) -> int:
        from ivr.config import ConfigError

        try:
            return fn(args)
        except ConfigError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return EXIT_FAIL
        except MissingDatabase as exc:
            print(f"ivr {args.command}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except DatabaseUnavailable as exc:
            text = str(exc)
            if "no such table" in text or "does not exist" in text:
                text += " (the schema is missing: run `ivr db upgrade`)"
            print(f"ivr {args.command}: {text}", file=sys.stderr)
            return EXIT_FAIL
        except (TicketError, ValueError) as exc:
            print(f"ivr {args.command}: {exc}", file=sys.stderr)
            return EXIT_FAIL
        except SQLAlchemyError as exc:
            print(f"ivr {args.command}: database error: {type(exc).__name__}", file=sys.stderr)
            return EXIT_FAIL
        except BrokenPipeError:
            raise  # the reader of our output left: ivr.cli ends quietly
        except OSError as exc:
            print(f"ivr {args.command}: {exc}", file=sys.stderr)
            return EXIT_FAIL

    return wrapper


def parse_since(text: str) -> datetime:
    """argparse type: YYYY-MM-DD or an ISO 8601 datetime (naive = UTC)."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=timezone.utc)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def parse_month(text: str) -> tuple[int, int]:
    """argparse type: YYYY-MM."""
    try:
        year_s, month_s = text.split("-")
        year, month = int(year_s), int(month_s)
        if len(year_s) != 4 or not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a month: use YYYY-MM, e.g. 2026-11"
        ) from None
    return year, month


def require_key_for_reveal(args: argparse.Namespace, service: Any) -> None:
    if getattr(args, "reveal", False) and not service.protector.has_key:
        raise TicketError(
            "--reveal needs the caller-number key: set the environment variable named by "
            "privacy.number_key_env (default IVR_NUMBER_KEY)"
        )
