"""Whole-file line analysis, and a frame-by-frame driver that shows the monitor's status per frame.

The file is resampled to a rate the VAD takes, then run through exactly the per-frame code a call
uses (:class:`~ivr.media.vad.GuardedVad` with hang-over); the figures are then taken over the whole
file instead of a sliding window, and the same :func:`~ivr.media.monitor.line_verdict` decides.
As live, the noise floor is a low percentile of the frames the VAD calls non-speech (after the
guard's warm-up), never of quiet speech frames: a caller who talks without pausing is not noisy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ivr.media.frames import frame_length, split_frames, vad_rate_for
from ivr.media.levels import DBFS_FLOOR, NOISE_PERCENTILE
from ivr.media.monitor import LineMonitor, LineStatus, LineThresholds, line_verdict
from ivr.media.resample import StreamResampler, resample
from ivr.media.segmenter import SegmentEvent, SpeechSegmenter
from ivr.media.vad import GUARD_WARMUP_MS, GuardedVad
from ivr.media.wavio import DEFAULT_BLOCK_FRAMES, Audio, WavReader

ANALYSIS_FRAME_MS = 20
LEVEL_BIN_DB = 0.01  # noise-floor histogram resolution (figures are printed to 0.01 dB)
_LEVEL_BINS = round(-DBFS_FLOOR / LEVEL_BIN_DB) + 1


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
    """Verdict and figures for a whole recording in memory (see :func:`analyze_blocks`)."""
    return analyze_blocks([audio.samples], audio.rate_hz, thresholds)


def analyze_file(
    path: str | Path,
    thresholds: LineThresholds | None = None,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
) -> AnalysisResult:
    """What `ivr analyze` prints, reading the file a block at a time: memory stays bounded
    whatever the file's length (a 1 GiB file once took 3.2 GB read whole)."""
    with WavReader(path) as reader:
        return analyze_blocks(reader.blocks(block_frames), reader.rate_hz, thresholds)


def analyze_blocks(
    blocks: Iterable[np.ndarray], rate_hz: int, thresholds: LineThresholds | None = None
) -> AnalysisResult:
    """Verdict and figures over consecutive blocks of one recording (any block sizes)."""
    th = thresholds or LineThresholds()
    vad_rate = vad_rate_for(rate_hz)
    resampler = StreamResampler(rate_hz, vad_rate) if vad_rate != rate_hz else None
    acc = _Accumulator(vad_rate, th)
    total = 0
    for block in blocks:
        x = np.asarray(block, dtype=np.int16)
        total += len(x)
        acc.push(resampler.push(x) if resampler is not None else x)
    if resampler is not None:
        acc.push(resampler.flush())
    return acc.result(total / rate_hz)


class _Accumulator:
    """The per-frame work of the whole-file analysis with O(1) state: running sums, an online
    hang-over, and histograms of the non-speech levels for the noise-floor percentile."""

    def __init__(self, rate_hz: int, th: LineThresholds) -> None:
        self.th = th
        self.flen = frame_length(rate_hz, ANALYSIS_FRAME_MS)
        self.vad = GuardedVad(rate_hz, ANALYSIS_FRAME_MS, th.vad_aggressiveness,
                              th.noise_margin_db, th.silent_below_dbfs)
        self.hang = round(th.vad_hangover_ms / ANALYSIS_FRAME_MS)
        self.warmup = math.ceil(GUARD_WARMUP_MS / ANALYSIS_FRAME_MS)
        self.rest = np.zeros(0, dtype=np.int16)
        self.n = self.n_voiced = self.n_flagged = self.clipped = 0
        self.flagged_power = 0.0
        self.since_voiced = self.hang + 1  # frames since the last voiced one
        self.quiet_warmup = _LevelHistogram()  # non-speech levels in the guard's warm-up
        self.quiet_after = _LevelHistogram()  # and after it

    def push(self, samples: np.ndarray) -> None:
        x = np.concatenate([self.rest, samples]) if len(self.rest) else samples
        frames = split_frames(x, self.flen)
        self.rest = x[len(frames) * self.flen:].copy()
        for f in frames:
            d = self.vad.decide(f)
            self.clipped += d.clipped
            if d.speech:
                self.n_voiced += 1
                self.since_voiced = 0
            else:
                self.since_voiced += 1
                (self.quiet_warmup if self.n < self.warmup else self.quiet_after).add(
                    d.level_dbfs
                )
            if self.since_voiced <= self.hang:
                self.n_flagged += 1
                self.flagged_power += d.power
            self.n += 1

    def result(self, duration_s: float) -> AnalysisResult:
        th, n = self.th, self.n
        if n == 0:
            raise ValueError(
                f"audio of {duration_s:.3f} s is shorter than one {ANALYSIS_FRAME_MS} ms frame"
            )
        # a very short file may have non-speech in the warm-up only: then that counts
        quiet = self.quiet_after if self.quiet_after.count else self.quiet_warmup
        noise = quiet.percentile(NOISE_PERCENTILE)
        level = snr = None
        has_speech = self.n_voiced >= max(1, math.ceil(th.min_speech_ms / ANALYSIS_FRAME_MS))
        if has_speech:
            ms = self.flagged_power / (self.n_flagged * self.flen)
            level = max(-100.0, 10 * math.log10(ms / 1073741824.0)) if ms > 0 else -100.0
            snr = level - noise
        return AnalysisResult(
            verdict=line_verdict(th, has_speech, level, noise, snr),
            duration_s=duration_s,
            speech_ratio=self.n_flagged / n,
            speech_level_dbfs=level,
            noise_floor_dbfs=noise,
            snr_db=snr,
            clipping_ratio=self.clipped / (n * self.flen),
        )


class _LevelHistogram:
    """Levels in dBFS counted in LEVEL_BIN_DB bins: a percentile within half a bin of the exact
    one (inverted CDF, as levels.noise_floor_dbfs), in constant memory."""

    def __init__(self) -> None:
        self.bins = np.zeros(_LEVEL_BINS, dtype=np.int64)
        self.count = 0

    def add(self, level_dbfs: float) -> None:
        i = round((min(0.0, max(DBFS_FLOOR, level_dbfs)) - DBFS_FLOOR) / LEVEL_BIN_DB)
        self.bins[i] += 1
        self.count += 1

    def percentile(self, q: float) -> float:
        if self.count == 0:
            return DBFS_FLOOR
        rank = max(1, math.ceil(self.count * q / 100))
        i = int(np.searchsorted(np.cumsum(self.bins), rank))
        return DBFS_FLOOR + i * LEVEL_BIN_DB


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
