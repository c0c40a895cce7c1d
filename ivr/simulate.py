"""Offline call simulation: a WAV file as the caller's side, the policy in virtual time.

The file goes through exactly the code a live call uses (ivr.media.translator.FrameTranslator:
LineMonitor + SpeechSegmenter, frame by frame, time counted in frames) and becomes the caller's
events (LineReports a few times a second and on each verdict change, speech segments), and a
CallPolicy runs against them in virtual time (ivr.policy.virtual) with no SIP and no waiting.
Phrase lengths are estimated from their text (ivr.policy.speech_length). No recogniser runs:
speech has confidence None, so the flow is the one a caller without an ASR model gets. When the
audio ends before the call does, the rest is silence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ivr.config import Settings
from ivr.media.analysis import prepare
from ivr.media.frames import split_frames
from ivr.media.monitor import LineThresholds
from ivr.media.translator import FrameTranslator
from ivr.media.wavio import Audio, read_wav
from ivr.policy import CallPolicy
from ivr.policy import actions as a
from ivr.policy import events as e
from ivr.policy.speech_length import phrase_seconds, say_seconds
from ivr.policy.virtual import Entry, VirtualCall
from ivr.tickets.sla import sla_calendar

# Silence appended to the audio so the monitor's window and the VAD hang-over drain; after it,
# silence changes nothing the policy acts on and no further reports are produced.
TAIL_SILENCE_S = 2.0


@dataclass(frozen=True)
class Key:
    """A key the simulated caller presses (`--key 30=1`)."""

    t: float
    digits: str

    @classmethod
    def parse(cls, text: str) -> Key:
        t_text, sep, digits = text.partition("=")
        try:
            t = float(t_text)
        except ValueError:
            t = -1.0
        if not sep or t < 0 or not digits or any(d not in "0123456789*#" for d in digits):
            raise ValueError(
                f"key {text!r}: expected SECONDS=DIGITS, e.g. 30=1 or 12.5=#, digits from 0-9 * #"
            )
        return cls(t, digits)


@dataclass
class Simulation:
    path: str
    locale: str
    audio_s: float
    call: VirtualCall

    @property
    def end_reason(self) -> str | None:
        return self.call.reason

    @property
    def end_s(self) -> float | None:
        return self.call.end_t


def caller_events(audio: Audio, settings: Settings) -> list[e.Event]:
    """The caller's side of the call as policy events, timed by frames of the audio: the
    frames go through the same FrameTranslator a live call uses."""
    tail = np.zeros(int(TAIL_SILENCE_S * audio.rate_hz), dtype=np.int16)
    padded = prepare(Audio(samples=np.concatenate([audio.samples, tail]), rate_hz=audio.rate_hz))
    translator = FrameTranslator(LineThresholds.from_settings(settings), padded.rate_hz)
    out: list[e.Event] = []
    for frame in split_frames(padded.samples, translator.frame_len):
        out += translator.push(frame) or []
    return out


def phrase_length(settings: Settings, locale: str) -> Callable[[str], float]:
    """Seconds of a catalogue phrase (by id) or of runtime text, estimated from the words."""
    catalogue = settings.prompts[locale]

    def seconds(key: str) -> float:
        if key in catalogue:
            return phrase_seconds(settings, locale, key)
        return say_seconds(settings, locale, key)

    return seconds


def simulate_file(path: str | Path, settings: Settings, locale: str, *, keys: Sequence[Key] = (),
                  ring_s: float = 0.0, local_time: dt.datetime | None = None) -> Simulation:
    """Play `path` as the caller and run the whole call; raises WavError for unusable audio."""
    audio = read_wav(path)
    script = caller_events(audio, settings)
    for key in keys:
        script += [e.Dtmf(t=key.t + i * 0.5, digit=d) for i, d in enumerate(key.digits)]
    call = VirtualCall(
        CallPolicy(settings, locale, calendar=sla_calendar(settings)),
        phrase_length(settings, locale),
        answered=e.Answered(t=0.0, ring_s=ring_s, local_time=local_time),
    )
    call.run(sorted(script, key=lambda ev: ev.t))
    return Simulation(str(path), locale, audio.duration_s, call)


def shown(entries: Iterable[Entry], all_reports: bool = False) -> list[Entry]:
    """The timeline without repeated LineReports (only verdict changes) unless all_reports."""
    out = []
    last_verdict = None
    for entry in entries:
        item = entry.item
        if isinstance(item, e.LineReport) and not all_reports:
            if item.verdict == last_verdict:
                continue
            last_verdict = item.verdict
        out.append(entry)
    return out


def jsonable(value: Any) -> Any:
    """A timeline field as JSON: floats to the millisecond, unknown objects as text."""
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)


def as_json(sim: Simulation, all_reports: bool = False) -> dict[str, Any]:
    rows = []
    for entry in shown(sim.call.timeline, all_reports):
        item = vars(entry.item).items()
        fields = {k: jsonable(v) for k, v in item if k not in ("t", "settings")}
        rows.append({"t": round(entry.t, 3), "kind": "action" if entry.is_action else "event",
                     "type": type(entry.item).__name__, **fields})
    return {
        "file": sim.path,
        "locale": sim.locale,
        "audio_s": round(sim.audio_s, 3),
        "end_reason": sim.end_reason,
        "end_s": None if sim.end_s is None else round(sim.end_s, 3),
        "prompts": [p for _, p in sim.call.plays()],
        "timeline": rows,
    }


def as_text(sim: Simulation, all_reports: bool = False) -> str:
    lines = [f"{sim.path}: {sim.audio_s:.2f} s of caller audio, locale {sim.locale}"]
    for entry in shown(sim.call.timeline, all_reports):
        arrow = "->" if entry.is_action else "<-"
        lines.append(f"{entry.t:9.3f}  {arrow} {entry.describe()}")
    if sim.end_reason is not None and sim.end_s is not None:
        lines.append(f"ended: {sim.end_reason} at {sim.end_s:.3f} s")
    else:
        lines.append("ended: no (the call did not end; this is a bug, please report it)")
    transfers = sim.call.actions(a.Transfer)
    if transfers:
        lines.append(f"transferred to {transfers[-1][1].target}")
    return "\n".join(lines)
