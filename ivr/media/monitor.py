"""Streaming line monitor: one frame in, an up-to-date :class:`LineStatus` out, O(1) per frame.

Over a sliding window (``window_s``, default 1 s) it keeps running sums — never a rescan of the
window — of: speech frames (with hang-over) and their energy, and clipped samples.  From these it
reports the active speech level (energy over speech frames only, P.56 spirit), SNR, clipping and a
verdict.  The noise floor is NOT taken from that window: in a second of fast, continuous speech
the window's "non-speech" frames are quiet speech, and a fast talker would read as a noisy line.
It comes from a :class:`~ivr.media.levels.NoiseFloorTracker` fed only with frames the VAD calls
non-speech (the last ``NOISE_MEMORY_S`` of them, a low percentile), so it is measured while the
caller is not talking and held while they talk.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ivr.config import LineSettings, Settings, VadSettings
from ivr.media.frames import as_int16, frame_length
from ivr.media.levels import (
    NOISE_MEMORY_S,
    NOISE_MIN_MS,
    NOISE_PERCENTILE,
    NoiseFloorTracker,
)
from ivr.media.vad import GUARD_WARMUP_MS, FrameDecision, GuardedVad
from ivr.vocabulary import LineVerdict

# The defaults and allowed ranges of the thresholds are the config schema's ([vad], [line]):
# one source, so a threshold built here and one loaded from config/ivr.toml cannot disagree.
_VAD = VadSettings()
_LINE = LineSettings()
DEFAULT_MIN_SPEECH_MS = 100  # voiced frames a window needs before its verdict is about speech
DEFAULT_ONSET_MS = 60  # consecutive speech a segment needs to start (ignores clicks)

_FS2 = 1073741824.0  # 32768 ** 2
_INT16 = np.dtype(np.int16)


@dataclass(frozen=True)
class LineThresholds:
    """Every threshold of the line verdict. Built from the validated settings
    (:meth:`from_settings`); the defaults are the config's defaults."""

    vad_aggressiveness: int = _VAD.aggressiveness_level
    vad_hangover_ms: int = _VAD.hangover_ms
    noise_margin_db: float = _VAD.noise_margin_db
    window_s: float = _LINE.window_s
    low_volume_below_dbfs: float = _LINE.low_volume_below_dbfs
    noisy_snr_below_db: float = _LINE.noisy_snr_below_db
    noisy_floor_above_dbfs: float = _LINE.noisy_floor_above_dbfs
    clipping_ratio_above: float = _LINE.clipping_ratio_above
    silent_below_dbfs: float = _LINE.silent_below_dbfs
    reverberant_decay_s: float = _LINE.reverberant_decay_s  # speakerphone (ivr/media/reverb.py)
    min_speech_ms: int = DEFAULT_MIN_SPEECH_MS
    preroll_ms: int = _VAD.preroll_ms
    onset_ms: int = DEFAULT_ONSET_MS

    @classmethod
    def from_settings(cls, settings: Settings) -> LineThresholds:
        """The [vad] and [line] sections, key by key (their ranges were checked at load)."""
        vad, line = settings.vad, settings.line
        return cls(
            vad_aggressiveness=vad.aggressiveness_level,
            vad_hangover_ms=vad.hangover_ms,
            noise_margin_db=vad.noise_margin_db,
            preroll_ms=vad.preroll_ms,
            window_s=line.window_s,
            low_volume_below_dbfs=line.low_volume_below_dbfs,
            noisy_snr_below_db=line.noisy_snr_below_db,
            noisy_floor_above_dbfs=line.noisy_floor_above_dbfs,
            clipping_ratio_above=line.clipping_ratio_above,
            silent_below_dbfs=line.silent_below_dbfs,
            reverberant_decay_s=line.reverberant_decay_s,
        )


class LineStatus(NamedTuple):
    """The line over the last window, as the policy sees it (mirrors the LineReport event).

    A named tuple rather than a frozen dataclass: one is built for every 20 ms frame."""

    speech: bool
    level_dbfs: float | None
    noise_dbfs: float
    snr_db: float | None
    clipping: bool
    verdict: LineVerdict


def line_verdict(
    th: LineThresholds, has_speech: bool, level_dbfs: float | None, noise_dbfs: float,
    snr_db: float | None,
) -> LineVerdict:
    """The verdict rule, shared by the live monitor and whole-file analysis.

    With speech: too faint to count -> silent; low SNR or a loud floor -> noisy; quiet -> low
    volume; else ok.  Without speech: a loud floor -> noisy, else silent.
    """
    if has_speech and level_dbfs is not None and snr_db is not None:
        if level_dbfs < th.silent_below_dbfs:
            return "silent"
        if snr_db < th.noisy_snr_below_db or noise_dbfs > th.noisy_floor_above_dbfs:
            return "noisy"
        if level_dbfs < th.low_volume_below_dbfs:
            return "low_volume"
        return "ok"
    if noise_dbfs > th.noisy_floor_above_dbfs:
        return "noisy"
    return "silent"


class LineMonitor:
    """Streaming line analysis for one call direction (frames of ``frame_ms`` at ``rate_hz``)."""

    def __init__(self, thresholds: LineThresholds, rate_hz: int, frame_ms: int = 20) -> None:
        self.thresholds = th = thresholds
        self.rate_hz = rate_hz
        self.frame_ms = frame_ms
        self.frame_len = frame_length(rate_hz, frame_ms)
        self.vad = GuardedVad(
            rate_hz, frame_ms, th.vad_aggressiveness, th.noise_margin_db, th.silent_below_dbfs
        )
        self.window_frames = max(1, round(th.window_s * 1000 / frame_ms))
        self._hang_frames = round(th.vad_hangover_ms / frame_ms)
        self._min_speech_frames = max(1, math.ceil(th.min_speech_ms / frame_ms))
        n = self.window_frames
        # ring buffers of per-frame contributions to the running sums
        self._r_flag = [False] * n
        self._r_voiced = [False] * n
        self._r_power = [0.0] * n
        self._r_clip = [0] * n
        self._pos = 0
        self._filled = 0
        self._since_voiced = self._hang_frames + 1
        self._n_flag = 0  # speech frames (with hang-over) in the window
        self._n_voiced = 0  # frames the VAD itself called speech
        self._speech_power = 0.0  # exact: sums of integer-valued floats below 2**53
        self._clipped = 0
        self._warmup_frames = math.ceil(GUARD_WARMUP_MS / frame_ms)
        self.noise = NoiseFloorTracker(
            max(1, round(NOISE_MEMORY_S * 1000 / frame_ms)),
            NOISE_PERCENTILE,
            max(1, math.ceil(NOISE_MIN_MS / frame_ms)),
        )
        self._noise_add = self.noise.add
        self._log_scale = 10.0 / math.log(10.0)
        self._ref = _FS2 * self.frame_len  # sum of squares of a 0 dBFS frame
        self._clip_limit_per_frame = th.clipping_ratio_above * self.frame_len
        self.frames = 0
        self.window_updates = 0  # ring-slot updates (tests: constant work per frame)
        self.last: FrameDecision | None = None
        self.last_speech = False

    def push(self, frame: np.ndarray | bytes) -> LineStatus:
        """Analyse one frame and return the line status over the window ending with it.

        The per-frame hot path: ring slots and running sums are plain Python numbers and lists,
        read into locals once; the status is a named tuple."""
        x = frame if type(frame) is np.ndarray and frame.dtype is _INT16 else as_int16(frame)
        return self.push_decided(self.vad.decide(x))

    def push_block(self, frames: np.ndarray) -> list[LineStatus]:
        """:meth:`push` for ``k`` consecutive frames given as a ``(k, frame_len)`` int16 array:
        the VAD's numpy work is done once for the block (:meth:`GuardedVad.decide_block`), the
        statuses are the ones ``k`` pushes would give. :attr:`last` is the last frame's."""
        return [self.push_decided(d) for d in self.vad.decide_block(frames)]

    def push_decided(self, d: FrameDecision) -> LineStatus:
        """Account one frame the VAD has already decided (its decision ``d``, in frame order):
        the window's running sums and the status, plain Python numbers read into locals."""
        self.last = d
        speech, level_dbfs, power, clip = d.speech, d.level_dbfs, d.power, d.clipped
        if speech:
            self._since_voiced = since = 0
        else:
            self._since_voiced = since = self._since_voiced + 1
            if self.frames >= self._warmup_frames:
                self._noise_add(level_dbfs)  # only while the caller is not talking
        flag = since <= self._hang_frames
        self.last_speech = flag
        i = self._pos
        r_flag, r_power = self._r_flag, self._r_power
        n_flag, speech_power = self._n_flag, self._speech_power
        n_voiced, clipped = self._n_voiced, self._clipped
        if self._filled == self.window_frames:  # evict the oldest frame
            if r_flag[i]:
                n_flag -= 1
                speech_power -= r_power[i]
            n_voiced -= self._r_voiced[i]
            clipped -= self._r_clip[i]
        else:
            self._filled += 1
        r_flag[i] = flag
        self._r_voiced[i] = speech
        r_power[i] = power
        self._r_clip[i] = clip
        if flag:
            n_flag += 1
            speech_power += power
        n_voiced += speech
        clipped += clip
        self._n_flag, self._speech_power = n_flag, speech_power
        self._n_voiced, self._clipped = n_voiced, clipped
        i += 1
        self._pos = i if i < self.window_frames else 0
        self.frames += 1
        self.window_updates += 1
        # the status over the window
        th = self.thresholds
        noise = self.noise.floor_dbfs  # DBFS_FLOOR (unknown-low) until enough non-speech
        level = snr = None
        has_speech = n_voiced >= self._min_speech_frames and n_flag > 0
        if has_speech:
            if speech_power > 0:
                level = self._log_scale * math.log(speech_power / (n_flag * self._ref))
                if level < -100.0:
                    level = -100.0
            else:
                level = -100.0
            snr = level - noise
        return LineStatus(
            flag, level, noise, snr, clipped > self._clip_limit_per_frame * self._filled,
            line_verdict(th, has_speech, level, noise, snr),
        )
