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

import numpy as np

from ivr.media.frames import DEFAULT_FRAME_MS
from ivr.media.monitor import LineMonitor, LineStatus, LineThresholds
from ivr.media.segmenter import SpeechEnd, SpeechSegmenter, SpeechStart
from ivr.policy import events as ev
from ivr.vocabulary import VERDICTS

# A LineReport every 200 ms of audio (and at once on a verdict change).
LINE_REPORT_EVERY_FRAMES = 10


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
        self.frames += 1
        t = self.t
        status = self.monitor.push(frame)
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
                )
            )
        return out
