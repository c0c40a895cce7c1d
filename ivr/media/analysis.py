"""Whole-file line analysis, and a frame-by-frame driver that shows the monitor's status per frame.

The file is resampled to a rate the VAD takes, then run through exactly the per-frame code a call
uses (:class:`~ivr.media.vad.GuardedVad` with hang-over); the figures are then taken over the whole
file instead of a sliding window, and the same :func:`~ivr.media.monitor.line_verdict` decides.
As live, the noise floor is a low percentile of the frames the VAD calls non-speech (after the
guard's warm-up), never of quiet speech frames: a caller who talks without pausing is not noisy.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ivr.media.frames import frame_length, split_frames, vad_rate_for
from ivr.media.levels import noise_floor_dbfs
from ivr.media.monitor import LineMonitor, LineStatus, LineThresholds, line_verdict
from ivr.media.resample import resample
from ivr.media.segmenter import SegmentEvent, SpeechSegmenter
from ivr.media.vad import GUARD_WARMUP_MS, GuardedVad
from ivr.media.wavio import Audio

ANALYSIS_FRAME_MS = 20


@dataclass(frozen=True)
class AnalysisResult:
    """Whole-file figures; ``as_json()`` gives exactly the keys of ``ivr analyze --json``."""

    verdict: str
    duration_s: float
    speech_ratio: float
    speech_level_dbfs: float | None
    noise_floor_dbfs: float
    snr_db: float | None
    clipping_ratio: float

    def as_json(self) -> dict[str, object]:
        def r(v: float | None, nd: int = 2) -> float | None:
            return None if v is None else round(v, nd)

        return {
            "verdict": self.verdict,
            "duration_s": r(self.duration_s, 3),
            "speech_ratio": r(self.speech_ratio, 3),
            "speech_level_dbfs": r(self.speech_level_dbfs),
            "noise_floor_dbfs": r(self.noise_floor_dbfs),
            "snr_db": r(self.snr_db),
            "clipping_ratio": r(self.clipping_ratio, 5),
        }


def prepare(audio: Audio) -> Audio:
    """The audio at a rate the VAD takes (8/16/32/48 kHz kept; others resampled to 8 or 16 kHz)."""
    rate = vad_rate_for(audio.rate_hz)
    if rate == audio.rate_hz:
        return audio
    return Audio(samples=resample(audio.samples, audio.rate_hz, rate), rate_hz=rate)


def analyze_audio(audio: Audio, thresholds: LineThresholds | None = None) -> AnalysisResult:
    """Verdict and figures for a whole recording (what `ivr analyze` prints)."""
    th = thresholds or LineThresholds()
    a = prepare(audio)
    frame_ms = ANALYSIS_FRAME_MS
    flen = frame_length(a.rate_hz, frame_ms)
    frames = split_frames(a.samples, flen)
    n = len(frames)
    duration = len(audio.samples) / audio.rate_hz
    if n == 0:
        raise ValueError(f"audio of {duration:.3f} s is shorter than one {frame_ms} ms frame")
    vad = GuardedVad(a.rate_hz, frame_ms, th.vad_aggressiveness, th.noise_margin_db,
                     th.silent_below_dbfs)
    hang = round(th.vad_hangover_ms / frame_ms)
    voiced = np.zeros(n, dtype=bool)
    levels = np.empty(n)
    powers = np.empty(n)
    clipped = 0
    for i, f in enumerate(frames):
        d = vad.decide(f)
        voiced[i], levels[i], powers[i] = d.speech, d.level_dbfs, d.power
        clipped += d.clipped
    flag = _with_hangover(voiced, hang)
    n_speech = int(flag.sum())
    quiet = ~voiced
    warmup = math.ceil(GUARD_WARMUP_MS / frame_ms)
    if quiet[warmup:].any():  # a very short file may have non-speech in the warm-up only
        quiet[:warmup] = False
    noise = noise_floor_dbfs(levels[quiet])
    level = snr = None
    has_speech = int(voiced.sum()) >= max(1, math.ceil(th.min_speech_ms / frame_ms))
    if has_speech:
        ms = float(powers[flag].sum()) / (n_speech * flen)
        level = max(-100.0, 10 * math.log10(ms / 1073741824.0)) if ms > 0 else -100.0
        snr = level - noise
    return AnalysisResult(
        verdict=line_verdict(th, has_speech, level, noise, snr),
        duration_s=duration,
        speech_ratio=n_speech / n,
        speech_level_dbfs=level,
        noise_floor_dbfs=noise,
        snr_db=snr,
        clipping_ratio=clipped / (n * flen),
    )


def _with_hangover(voiced: np.ndarray, hang: int) -> np.ndarray:
    """Frames that are speech or within ``hang`` frames after a speech frame."""
    if hang <= 0:
        return voiced.copy()
    csum = np.concatenate([[0], np.cumsum(voiced)])
    idx = np.arange(1, len(voiced) + 1)
    result: np.ndarray = (csum[idx] - csum[np.maximum(idx - hang - 1, 0)]) > 0
    return result


@dataclass(frozen=True)
class FrameResult:
    """One step of a simulated call: the frame's time, the line status and segment events."""

    t_s: float  # end of this frame, seconds from the start of the audio
    frame: np.ndarray
    status: LineStatus
    events: list[SegmentEvent]


def stream_audio(
    audio: Audio, thresholds: LineThresholds | None = None, frame_ms: int = 20
) -> Iterator[FrameResult]:
    """Drive a :class:`LineMonitor` and a :class:`SpeechSegmenter` frame by frame over ``audio``
    and show each frame's status (for tests of the monitor); time is counted in frames. Calls
    and `ivr simulate` turn frames into events with ivr.media.translator.FrameTranslator."""
    th = thresholds or LineThresholds()
    a = prepare(audio)
    monitor = LineMonitor(th, a.rate_hz, frame_ms)
    segmenter = SpeechSegmenter.for_monitor(monitor)
    for i, f in enumerate(split_frames(a.samples, monitor.frame_len)):
        status = monitor.push(f)
        events = segmenter.push(f, monitor.last)
        yield FrameResult((i + 1) * frame_ms / 1000.0, f, status, events)
