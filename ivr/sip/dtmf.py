"""RFC 4733 telephone-events accepted as key presses only when they look like one.

pjmedia reports a digit on the FIRST packet of a new event, so any packet with the event
payload type and a byte 0-15 in the right place became a digit: random payload-type-101 packets
gave dozens. A sender pressing a key (RFC 4733 2.5) sends a start packet, updates with a growing
duration, and end packets, all with the event's one RTP timestamp. A digit is accepted at its
end, when an earlier packet of the same event and timestamp was seen and the duration is that
of a key press. Pure; the call feeds it pjsua2's ``onDtmfEvent`` values.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_PRESS_MS = 40  # ITU-T Q.24: shorter tones are not digits
MAX_PRESS_MS = 10_000  # a stuck key or garbage; nobody presses a key for 10 s
FLAG_END = 2  # PJMEDIA_STREAM_DTMF_IS_END
FLAG_UPDATE = 1  # PJMEDIA_STREAM_DTMF_IS_UPDATE: same event as the previous packet
VALID_DIGITS = frozenset("0123456789*#ABCD")


@dataclass
class DtmfGate:
    """One per call. ``feed`` returns the digit when an event completes as a real press."""

    _digit: str = ""
    _timestamp: int = -1
    _started: bool = False

    def feed(self, digit: str, timestamp_ms: int, duration_ms: int, flags: int) -> str | None:
        if digit not in VALID_DIGITS:
            self._started = False
            return None
        same = (bool(flags & FLAG_UPDATE) and digit == self._digit
                and timestamp_ms == self._timestamp)
        if not flags & FLAG_END:
            if not same:  # a new event starts
                self._digit, self._timestamp = digit, timestamp_ms
            self._started = True
            return None
        complete = same and self._started and MIN_PRESS_MS <= duration_ms <= MAX_PRESS_MS
        self._started = False
        return digit if complete else None
