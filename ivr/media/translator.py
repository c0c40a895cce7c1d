"""The caller's audio as the policy hears it: one pure frame -> event translator.

Both a live call (ivr.session) and `ivr simulate` push the caller's 20 ms frames through this
one class, so the same audio gives the same events on both paths: SpeechStarted and SpeechEnded
from the speech segmenter, and a LineReport from the line monitor at once when the verdict
changes and otherwise every `report_every_frames` frames. Time is counted in frames (`t` is the
end of the frame just pushed); a live session stamps the events with its own clock.

Pure: no clock, no threads, no I/O. It imports the policy's event types (the contract between
media and policy), nothing else of the policy.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ivr.media.frames import DEFAULT_FRAME_MS
from ivr.media.monitor import LineMonitor, LineStatus, LineThresholds
from ivr.media.reverb import ReverbEstimator, block_db
from ivr.media.segmenter import SpeechEnd, SpeechSegmenter, SpeechStart
from ivr.policy import events as ev
from ivr.vocabulary import VERDICTS

# A LineReport every 200 ms of audio (and at once on a verdict change).
LINE_REPORT_EVERY_FRAMES = 10


class FrameEvents(NamedTuple):
    """One frame of a block: its events, and the segment frames to stream after it."""

    events: list[ev.Event]
    speech_frames: list[np.ndarray]


class FrameTranslator:
    """One frame in, the caller-side policy events out; counts each verdict's frames."""

    def __init__(
        self,
        thresholds: LineThresholds,
        rate_hz: int,
        frame_ms: int = DEFAULT_FRAME_MS,
        report_every_frames: int = LINE_REPORT_EVERY_FRAMES,
    ) -> None:
        self.frame_ms = frame_ms
        self.rate_hz = rate_hz
        # Seed 000 第十七条 5 (免提): a hands-free line's reverberation (ivr/media/reverb.py).
        self.reverb = ReverbEstimator(thresholds.reverberant_decay_s)
        self.report_every_frames = report_every_frames
        self.monitor = LineMonitor(thresholds, rate_hz, frame_ms)
        self.segmenter = SpeechSegmenter.for_monitor(self.monitor)
        self.frames = 0
        self.verdict_frames: dict[str, int] = dict.fromkeys(VERDICTS, 0)
        self.last_reported: LineStatus | None = None

    @property
    def frame_len(self) -> int:
        return self.monitor.frame_len

    @property
    def t(self) -> float:
        """Seconds of audio pushed so far (the end of the last frame)."""
        return round(self.frames * self.frame_ms / 1000.0, 6)

    @property
    def in_speech(self) -> bool:
        return self.segmenter.in_speech

    def take_segment_frames(self) -> list[np.ndarray]:
        """The current segment's frames not yet taken (for a streaming recogniser)."""
        return self.segmenter.take_segment_frames()

    def push(self, frame: np.ndarray) -> list[ev.Event] | None:
        """The events this frame causes, in order; None for a frame of another size (a codec
        switch mid-call), which is skipped, not fatal."""
        if len(frame) != self.monitor.frame_len:
            return None
        self.reverb.push_frame(frame, self.rate_hz)
        return self._events(frame, self.monitor.push(frame))

    def push_block(self, samples: np.ndarray) -> list[FrameEvents] | None:
        """A longer media-port frame (``sip.port_frame_ms``): ``k`` whole frames back to back.

        Per frame, the events :meth:`push` would give and the segment frames a streaming
        recogniser takes after it (:meth:`take_segment_frames` while in speech), so a caller
        can act on each frame in order exactly as on the per-frame path; the numpy work (levels,
        energies, clipping, the reverberation energies) is done once for the block and only
        webrtcvad and the running state go frame by frame. None for a block that is not a whole
        number of frames (skipped, like a frame of another size).
        """
        n = self.monitor.frame_len
        if samples.ndim != 1 or not len(samples) or len(samples) % n:
            return None
        frames = samples.reshape(-1, n)
        decisions = self.monitor.vad.decide_block(frames)
        dbs = block_db(frames, self.rate_hz)
        per = len(dbs) // len(frames)  # 10 ms reverberation frames per analysis frame
        push_db, push_decided = self.reverb.push_db, self.monitor.push_decided
        segmenter = self.segmenter
        out: list[FrameEvents] = []
        for i, d in enumerate(decisions):
            for db in dbs[i * per:(i + 1) * per]:
                push_db(db)
            events = self._events(frames[i], push_decided(d))
            speech = segmenter.take_segment_frames() if segmenter.in_speech else []
            out.append(FrameEvents(events, speech))
        return out

    def _events(self, frame: np.ndarray, status: LineStatus) -> list[ev.Event]:
        """The per-frame part shared by both paths: verdict count, segmenter, line report."""
        self.frames += 1
        t = self.t
        self.verdict_frames[status.verdict] += 1
        out: list[ev.Event] = []
        for seg in self.segmenter.push(frame, self.monitor.last):
            if isinstance(seg, SpeechStart):
                out.append(ev.SpeechStarted(t=t))
            elif isinstance(seg, SpeechEnd):
                out.append(
                    ev.SpeechEnded(t=t, duration_s=seg.duration_s, level_dbfs=seg.level_dbfs)
                )
        last = self.last_reported
        if (
            last is None
            or last.verdict != status.verdict
            or self.frames % self.report_every_frames == 0
        ):
            self.last_reported = status
            out.append(
                ev.LineReport(
                    t=t,
                    speech=status.speech,
                    level_dbfs=status.level_dbfs,
                    noise_dbfs=status.noise_dbfs,
                    snr_db=status.snr_db,
                    clipping=status.clipping,
                    verdict=status.verdict,
                    reverberant=self.reverb.reverberant,
                )
            )
        return out
