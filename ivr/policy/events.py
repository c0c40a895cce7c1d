"""What happens to a call, as the policy hears it.

Every event carries `t`: seconds since the call was answered, counted by the session's clock
(media frames on a live call, virtual time in tests). The policy never reads a clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ivr.vocabulary import LineVerdict

Verdict = LineVerdict  # the line monitor's verdict (ivr.vocabulary)


@dataclass(frozen=True)
class Event:
    t: float


@dataclass(frozen=True)
class Answered(Event):
    """The call was answered. `ring_s`: how long the caller waited before the answer."""

    ring_s: float = 0.0
    caller: str = ""
    called: str = ""
    local_time: dt.datetime | None = None
    blacklisted: bool = False


@dataclass(frozen=True)
class LineReport(Event):
    """The line's condition over the last window (ivr.media LineMonitor), a few times a second."""

    speech: bool = False
    level_dbfs: float | None = None
    noise_dbfs: float = -96.0
    snr_db: float | None = None
    clipping: bool = False
    verdict: Verdict = "silent"
    reverberant: bool = False


@dataclass(frozen=True)
class SpeechStarted(Event):
    pass


@dataclass(frozen=True)
class SpeechEnded(Event):
    """A segment of caller speech ended. `confidence` is None when no recogniser ran."""

    duration_s: float = 0.0
    transcript: str = ""
    confidence: float | None = None
    level_dbfs: float | None = None
    in_vocabulary: bool = True


@dataclass(frozen=True)
class Dtmf(Event):
    digit: str = ""


@dataclass(frozen=True)
class PromptFinished(Event):
    prompt_id: str = ""
    interrupted: bool = False


@dataclass(frozen=True)
class TimerFired(Event):
    name: str = ""


@dataclass(frozen=True)
class TransferResult(Event):
    ok: bool = False
    code: int = 0


@dataclass(frozen=True)
class TicketResult(Event):
    ok: bool = False
    ticket_id: str = ""
    request_id: str = ""
    journaled: bool = False


@dataclass(frozen=True)
class RecordingFinished(Event):
    path: str = ""
    duration_s: float = 0.0


@dataclass(frozen=True)
class CallerHungUp(Event):
    pass


@dataclass(frozen=True)
class ConfigUpdated(Event):
    """New settings were loaded (SIGHUP); they apply from the next decision on."""

    settings: object = field(default=None, compare=False)


@dataclass(frozen=True)
class RecognizerFailed(Event):
    """Speech recognition stopped working mid-call (decoder crash, recogniser service gone).

    From now on speech segments come without a transcript (``confidence`` None), as on a
    host without a model: the call goes on with the DTMF menu.
    """

    cause: str = ""  # the exception type, for the call log (not a hang-up reason)


@dataclass(frozen=True)
class ShutdownRequested(Event):
    """The agent is draining: end the call politely."""
