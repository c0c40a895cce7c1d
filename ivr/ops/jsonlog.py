"""`--log-format json`: one JSON object per log line, for log shippers (Loki, ELK, journald).

Fields: ts (UTC ISO 8601), level, logger, msg, and the exception text when there is one.
Messages are the same log-safe lines as the text format (masked numbers, no transcripts).
"""

from __future__ import annotations

import datetime as dt
import json
import logging


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
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
