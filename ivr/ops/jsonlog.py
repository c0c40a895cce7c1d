"""`--log-format json`: one JSON object per log line, for log shippers (Loki, ELK, journald).

Fields: ts (UTC ISO 8601), level, logger, msg, and the exception text when there is one.
Messages are the same log-safe lines as the text format (masked numbers, no transcripts).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

# A supervised child's line as the supervisor re-logs it: "[worker 2] <the child's line>"
_CHILD_LINE = re.compile(r"^\[(?P<child>[^\]]+)\] (?P<line>\{.*\})$")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        nested = _child_entry(record.getMessage())
        if nested is not None:  # a worker's own JSON line: pass it on, tagged, not re-wrapped
            return json.dumps(nested, ensure_ascii=False)
        entry = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.timezone.utc)
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _child_entry(message: str) -> dict[str, Any] | None:
    match = _CHILD_LINE.match(message)
    if match is None:
        return None
    try:
        entry = json.loads(match.group("line"))
    except ValueError:
        return None
    if not isinstance(entry, dict) or "msg" not in entry:
        return None
    return {**entry, "child": match.group("child")}
