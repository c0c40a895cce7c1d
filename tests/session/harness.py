"""Drive a real CallSession frame by frame in virtual time: no SIP, no threads, no waiting.

The media clock is simulated the way pjsua2's conference bridge runs it: every 20 ms tick the
player hands out one frame of playback and the caller's next frame arrives. Everything else is
the real thing: LineMonitor, SpeechSegmenter, CallPolicy, the FramePlayer the SIP layer uses,
and (when given) a real TicketService.
"""

from __future__ import annotations

import datetime as dt
import queue
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ivr.config import Settings
from ivr.policy.speech_length import render, text_seconds
from ivr.session import CallFacts, CallOutcome, CallSession
from ivr.sip.player import FramePlayer

FRAME_S = 0.02
# A Tuesday at 10:00 in Shanghai: inside the configured business hours.
BUSINESS_HOURS = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.timezone.utc)


class VirtualClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t


@dataclass
class FakeControl:
    hangups: list[float] = field(default_factory=list)
    transfers: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    clock: VirtualClock | None = None

    def hangup(self, code: int = 200) -> None:
        self.hangups.append(self.clock.now() if self.clock else 0.0)

    def transfer(self, target_uri: str, headers: dict[str, str]) -> None:
        self.transfers.append((target_uri, dict(headers)))


class ToneLibrary:
    """Prompts as tones as long as the policy's own estimate of the phrase, so the policy's
    virtual timings and the session's frame timings can be compared exactly."""

    def __init__(self, settings: Settings, rate_hz: int = 8000) -> None:
        self.settings = settings
        self.rate_hz = rate_hz
        self.lengths: dict[str, float] = {}

    def seconds(self, locale: str, prompt_id: str) -> float:
        text = render(self.settings, locale, prompt_id)
        frames = max(1, round(text_seconds(text, locale) / FRAME_S))
        return frames * FRAME_S

    def prompt(
        self, locale: str, prompt_id: str, rate_hz: int, variables: dict[str, Any] | None = None
    ) -> np.ndarray:
        n = round(self.seconds(locale, prompt_id) * rate_hz)
        t = np.arange(n) / rate_hz
        return (3000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)

    def say(self, locale: str, text: str, rate_hz: int, done: Any) -> None:
        n = round(text_seconds(text, locale) / FRAME_S) * round(FRAME_S * rate_hz)
        done(np.full(n, 1000, dtype=np.int16))


class InlineExecutor:
    """Runs background work (tickets, call records, phrase synthesis) at once, so a virtual
    call never outruns its database."""

    def submit(self, fn: Any, *args: Any) -> None:
        fn(*args)


@dataclass
class ScriptedResult:
    transcript: str
    confidence: float = 0.9
    in_vocabulary: bool = True
    partial: bool = False


class ScriptedRecognizer:
    """Stands in for vosk: each ended segment is "recognised" as the next scripted text."""

    def __init__(self, transcripts: list[str], on_result: Any) -> None:
        self.transcripts = list(transcripts)
        self.on_result = on_result
        self.fed_bytes = 0
        self.grammars: list[list[str] | None] = []

    def feed(self, pcm: bytes) -> None:
        self.fed_bytes += len(pcm)

    def end_segment(self) -> None:
        text = self.transcripts.pop(0) if self.transcripts else ""
        self.on_result(ScriptedResult(text, 0.9 if text else 0.0, bool(text)))

    def set_grammar(self, phrases: list[str] | None) -> None:
        self.grammars.append(phrases)

    def close(self) -> None:
        pass


class VirtualLine:
    """Runs one session: caller audio in, playback out, DTMF at given times."""

    def __init__(
        self,
        settings: Settings,
        *,
        caller_audio: np.ndarray | None = None,
        dtmf: list[tuple[float, str]] | None = None,
        tickets: Any = None,
        recordings_dir: Path | None = None,
        rate_hz: int = 8000,
        caller: str = "13812345678",
        hang_up_at: float | None = None,
        transfer_ok: bool = True,
        answered_at: dt.datetime | None = None,
        transcripts: list[str] | None = None,
        call_id: str = "virtual-call-0001",
        recognizer_factory: Any = None,
    ) -> None:
        self.clock = VirtualClock()
        self.control = FakeControl(clock=self.clock)
        self.library = ToneLibrary(settings, rate_hz)
        self.outcomes: list[CallOutcome] = []
        self.frame_len = rate_hz // 50
        self.caller_audio = caller_audio if caller_audio is not None else np.zeros(0, np.int16)
        self.dtmf = sorted(dtmf or [])
        self.hang_up_at = hang_up_at
        self.transfer_ok = transfer_ok
        self.played: list[np.ndarray] = []
        self.recognizer: ScriptedRecognizer | None = None

        def scripted_factory(rate_hz: int, on_result: Any, on_error: Any) -> ScriptedRecognizer:
            self.recognizer = ScriptedRecognizer(transcripts or [], on_result)
            return self.recognizer

        if recognizer_factory is None and transcripts is not None:
            recognizer_factory = scripted_factory  # a real one (tests/speech) wins when given

        self.session = CallSession(
            settings,
            CallFacts(
                call_id=call_id,
                caller=caller,
                rate_hz=rate_hz,
                answered_at=answered_at or BUSINESS_HOURS,
            ),
            control=self.control,
            player=None,  # type: ignore[arg-type]  # set below: the player needs the session
            prompts=self.library,
            recognizer_factory=recognizer_factory,
            tickets=tickets,
            executor=InlineExecutor(),  # type: ignore[arg-type]
            recordings_dir=recordings_dir,
            clock=self.clock,
            on_finished=self.outcomes.append,
        )
        self.player = FramePlayer(
            self.frame_len * 2, on_done=lambda tag, tf, done: self.session.prompt_done(tag, done)
        )
        self.session.playback.player = self.player
        self.t0 = self.clock.t

    @property
    def t(self) -> float:
        return self.clock.t - self.t0

    def _drain(self) -> None:
        inbox = self.session._inbox
        while True:
            try:
                item = inbox.get_nowait()
            except queue.Empty:
                break
            self.session.handle(item)
        self.session.fire_due_timers()

    def run(self, max_s: float = 300.0, settle: Any = None) -> CallOutcome:
        self.session.begin()
        transfers_seen = 0
        frame = 0
        while not self.session.finished and self.t < max_s:
            self.played.append(np.frombuffer(self.player.next_frame(), dtype=np.int16))
            start = frame * self.frame_len
            chunk = self.caller_audio[start : start + self.frame_len]
            if len(chunk) < self.frame_len:
                chunk = np.concatenate([chunk, np.zeros(self.frame_len - len(chunk), np.int16)])
            self.session.frame_in(chunk.tobytes())
            while self.dtmf and self.dtmf[0][0] <= self.t:
                self.session.dtmf_in(self.dtmf.pop(0)[1])
            if self.hang_up_at is not None and self.t >= self.hang_up_at:
                self.session.caller_hung_up()
                self.hang_up_at = None
            if len(self.control.transfers) > transfers_seen:
                transfers_seen = len(self.control.transfers)
                self.session.transfer_result(self.transfer_ok, 200 if self.transfer_ok else 486)
            if settle is not None:
                settle()
            self._drain()
            frame += 1
            self.clock.t += FRAME_S
        assert self.outcomes, f"the call did not end within {max_s} s"
        return self.outcomes[0]

    def events(self, kind: str | None = None) -> list[tuple[float, str, str]]:
        return [e for e in self.session.timeline if kind is None or e[1] == kind]

    def first(self, prefix: str) -> float:
        for t, _, what in self.session.timeline:
            if what.startswith(prefix):
                return t
        raise AssertionError(f"{prefix!r} not in the timeline")
