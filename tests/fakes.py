"""Fakes for whole-call tests: a virtual-time driver and a scripted caller.

`VirtualCall` (ivr.policy.virtual) plays the session's part against a virtual clock; the helpers
here build the caller's side (speech segments, keys, line reports, hang-up) and phrase lengths,
so a whole call runs in microseconds and every timestamp is exact.

    call = VirtualCall(CallPolicy(settings, "zh-CN"), estimated_seconds(settings, "zh-CN"))
    call.run(speech(3.0, 2.0, "我要投诉", 0.9) + dtmf(20.0, "1"))
"""

from __future__ import annotations

from collections.abc import Callable

from ivr.config import Settings
from ivr.policy import events as e
from ivr.policy.speech_length import phrase_seconds, say_seconds
from ivr.policy.virtual import Entry, VirtualCall, describe

DEFAULT_LOW_VOLUME_BELOW_DBFS = -40.0  # the config default, for scripted speech levels

__all__ = [
    "Entry",
    "VirtualCall",
    "describe",
    "dtmf",
    "estimated_seconds",
    "fixed_seconds",
    "hang_up",
    "line",
    "speech",
]

REPORT_EVERY_S = 0.25  # LineMonitor reports a few times a second


def estimated_seconds(settings: Settings, locale: str) -> Callable[[str], float]:
    """Phrase lengths from the text at the locale's speaking rate (prompt id or Say text)."""
    catalogue = settings.prompts[locale]
    cache: dict[str, float] = {}

    def seconds(key: str) -> float:
        if key not in cache:
            if key in catalogue:
                cache[key] = phrase_seconds(settings, locale, key)
            else:
                cache[key] = say_seconds(settings, locale, key)
        return cache[key]

    return seconds


def fixed_seconds(table: dict[str, float], default: float = 1.0) -> Callable[[str], float]:
    """Phrase lengths from a table (handy for hand-computed timelines)."""
    return lambda key: table.get(key, default)


def speech(
    t: float,
    duration_s: float,
    transcript: str = "",
    confidence: float | None = None,
    *,
    level_dbfs: float | None = None,
    in_vocabulary: bool = True,
) -> list[e.Event]:
    """One speech segment: SpeechStarted at t with the line monitor's report of it (clear
    speech unless `level_dbfs` is below the default low-volume threshold), SpeechEnded at
    t + duration_s."""
    end = t + duration_s
    quiet = level_dbfs is not None and level_dbfs < DEFAULT_LOW_VOLUME_BELOW_DBFS
    return [
        e.SpeechStarted(t=t),
        e.LineReport(
            t=t,
            speech=True,
            level_dbfs=level_dbfs if level_dbfs is not None else -25.0,
            noise_dbfs=-70.0,
            snr_db=40.0,
            verdict="low_volume" if quiet else "ok",
        ),
        e.SpeechEnded(
            t=end,
            duration_s=duration_s,
            transcript=transcript,
            confidence=confidence,
            level_dbfs=level_dbfs,
            in_vocabulary=in_vocabulary,
        ),
    ]


def dtmf(t: float, digits: str, gap_s: float = 0.5) -> list[e.Event]:
    """Keys pressed from t, `gap_s` apart."""
    return [e.Dtmf(t=t + i * gap_s, digit=d) for i, d in enumerate(digits)]


def line(
    t0: float,
    t1: float,
    verdict: str,
    *,
    every_s: float = REPORT_EVERY_S,
    speech: bool | None = None,
    level_dbfs: float | None = None,
    reverberant: bool = False,
) -> list[e.Event]:
    """LineReports from t0 (inclusive) to t1 (exclusive), all with the same verdict."""
    has_speech = verdict in ("low_volume", "ok") if speech is None else speech
    n = max(0, round((t1 - t0) / every_s))
    return [
        e.LineReport(
            t=round(t0 + i * every_s, 6),
            speech=has_speech,
            level_dbfs=level_dbfs,
            verdict=verdict,
            reverberant=reverberant,
        )
        for i in range(n)
    ]


def hang_up(t: float) -> list[e.Event]:
    return [e.CallerHungUp(t=t)]
