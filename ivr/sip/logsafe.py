"""Log lines built from wire data: escaped, shortened, masked and rate-limited per source.

An attacker controls what PJSIP logs about a bad packet (the packet itself) and what we log
about a refused request; without these limits 10 MB of TCP garbage became 10.6 MB of log, and
newlines inside it became forged log lines.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable

from ivr.masking import mask_numbers_in

MAX_WIRE_TEXT_CHARS = 300  # one wire-derived value or PJSIP line in a log line
BURST_COUNT = 10  # lines one source may log at once...
REFILL_S = 6.0  # ...then one more per this many seconds
SOURCES_REMEMBERED_COUNT = 1024
_ADDRESS = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\])(?::\d+)?")


def wire_text(value: object, limit: int = MAX_WIRE_TEXT_CHARS) -> str:
    """A value from the wire made safe for one log line: no control characters, numbers
    masked, at most ``limit`` characters (the cut is marked)."""
    text = mask_numbers_in(str(value))
    if len(text) > limit:
        return text[:limit] + f"...[{len(text) - limit} more chars]"
    return text


def source_of(line: str) -> str:
    """The first IP address in a log line (PJSIP names the sender), or "" when none."""
    match = _ADDRESS.search(line)
    return match.group(1) if match else ""


class LogLimiter:
    """Token bucket per source: BURST_COUNT lines, then one per REFILL_S; counts the rest.

    Thread-safe (PJSIP logs from its media and SIP threads); the clock is injected.
    """

    def __init__(self, clock: Callable[[], float], burst: int = BURST_COUNT,
                 refill_s: float = REFILL_S) -> None:
        self._clock = clock
        self._burst = burst
        self._refill_s = refill_s
        self._buckets: OrderedDict[str, tuple[float, float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, source: str) -> tuple[bool, int]:
        """(may log now, lines suppressed for this source since it last could)."""
        now = self._clock()
        with self._lock:
            tokens, last, dropped = self._buckets.get(source, (float(self._burst), now, 0))
            tokens = min(float(self._burst), tokens + (now - last) / self._refill_s)
            if tokens >= 1.0:
                self._buckets[source] = (tokens - 1.0, now, 0)
                allowed, count = True, dropped
            else:
                self._buckets[source] = (tokens, now, dropped + 1)
                allowed, count = False, dropped + 1
            self._buckets.move_to_end(source)
            while len(self._buckets) > SOURCES_REMEMBERED_COUNT:
                self._buckets.popitem(last=False)
        return allowed, count
