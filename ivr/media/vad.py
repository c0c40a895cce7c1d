"""Per-frame speech decision: webrtcvad behind automatic gain and a noise-floor guard.

Two known weaknesses of bare webrtcvad are fixed here (see FACTS.md):

* its decision depends on absolute level, so speech at -50 dBFS is mostly "not speech": frames are
  first brought toward :data:`AGC_TARGET_DBFS` by a slow automatic gain (boost only), the way an
  agent turns up the volume; the caller is then reported as low volume, not as silent;
* it fires on steady line noise: a frame is only speech if its energy is at least
  ``noise_margin_db`` above the running noise floor (a minimum over the last 0.5-1 s, kept with
  two sub-window minima, so O(1) per frame) and above ``silent_below_dbfs``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import webrtcvad

from ivr.media.frames import VAD_RATES_HZ, frame_length

AGC_TARGET_DBFS = -20.0  # frame-level envelope is boosted toward this
AGC_MAX_GAIN_DB = 40.0
AGC_MIN_GAIN_DB = 1.0  # below this the frame goes to the VAD untouched
AGC_DECAY_DB_PER_S = 3.0  # envelope release: the gain rises slowly after loud speech
NOISE_SUBWINDOW_S = 0.5  # floor = min over the current and the previous sub-window
# The guard's floor is the minimum of the frames seen so far, so during the first frames it is the
# caller's own speech and a talker's first syllable reads as "not speech".  Noise estimates skip
# the non-speech frames of this warm-up.
GUARD_WARMUP_MS = 100
CLIP_SAMPLE_ABS = 32000  # |sample| at or above this counts as clipped (G.711 peaks: 32124/32256)
_FS2 = 32768.0 * 32768.0
_DB_FLOOR = -100.0
_CLIP_ENERGY = float(CLIP_SAMPLE_ABS) ** 2


@dataclass(frozen=True, slots=True)
class FrameDecision:
    """What the VAD stage found in one frame."""

    speech: bool  # this frame alone, before any hang-over
    level_dbfs: float
    power: float  # sum of squares (int16 units), exact integer value
    clipped: int  # samples at or above CLIP_SAMPLE_ABS
    floor_dbfs: float  # the guard's running noise floor after this frame
    gain_db: float  # automatic gain applied before webrtcvad


class GuardedVad:
    """webrtcvad + automatic gain + noise-floor guard, one frame at a time, O(1) per frame."""

    def __init__(
        self,
        rate_hz: int,
        frame_ms: int = 20,
        aggressiveness: int = 2,
        noise_margin_db: float = 6.0,
        silent_below_dbfs: float = -60.0,
    ) -> None:
        if rate_hz not in VAD_RATES_HZ:
            raise ValueError(f"rate_hz={rate_hz} is not one of {VAD_RATES_HZ} (resample first)")
        if aggressiveness not in (0, 1, 2, 3):
            raise ValueError(f"vad aggressiveness {aggressiveness} is not 0, 1, 2 or 3")
        self.rate_hz = rate_hz
        self.frame_ms = frame_ms
        self.frame_len = frame_length(rate_hz, frame_ms)
        self.noise_margin_db = float(noise_margin_db)
        self.silent_below_dbfs = float(silent_below_dbfs)
        self._vad = webrtcvad.Vad(aggressiveness)
        self._log_scale = 10.0 / math.log(10.0)
        self._ref = _FS2 * self.frame_len  # sum of squares of a 0 dBFS frame
        self._decay = AGC_DECAY_DB_PER_S * frame_ms / 1000.0
        self._sub_len = max(1, round(NOISE_SUBWINDOW_S * 1000 / frame_ms))
        self._env_db: float | None = None
        self._cur_min = math.inf
        self._prev_min = math.inf
        self._sub_count = 0
        self.floor_dbfs = _DB_FLOOR
        self.frames = 0
        self.vad_calls = 0  # webrtcvad invocations (for tests of the work done)

    def decide(self, frame: np.ndarray) -> FrameDecision:
        """Classify one int16 frame of exactly ``frame_len`` samples."""
        if frame.shape != (self.frame_len,):
            raise ValueError(
                f"frame has {frame.size} samples, expected {self.frame_len} "
                f"({self.frame_ms} ms at {self.rate_hz} Hz)"
            )
        xf = frame.astype(np.float64)
        power = float(np.dot(xf, xf))
        level = (
            max(_DB_FLOOR, self._log_scale * math.log(power / self._ref)) if power else _DB_FLOOR
        )
        clipped = 0
        if power >= _CLIP_ENERGY:  # otherwise no single sample can reach the clip level
            clipped = int(np.count_nonzero(np.abs(frame) >= CLIP_SAMPLE_ABS))
        # running noise floor: min over the current and previous sub-windows
        if level < self._cur_min:
            self._cur_min = level
        self._sub_count += 1
        if self._sub_count >= self._sub_len:
            self._prev_min, self._cur_min, self._sub_count = self._cur_min, math.inf, 0
        floor = self._cur_min if self._cur_min < self._prev_min else self._prev_min
        self.floor_dbfs = floor
        # automatic gain from a peak envelope with slow release
        env = self._env_db
        env = level if env is None or level > env - self._decay else env - self._decay
        self._env_db = env
        gain_db = AGC_TARGET_DBFS - env
        gain_db = 0.0 if gain_db < AGC_MIN_GAIN_DB else min(gain_db, AGC_MAX_GAIN_DB)
        self.frames += 1
        speech = False
        if level > self.silent_below_dbfs and level >= floor + self.noise_margin_db:
            if gain_db:
                g = 10.0 ** (gain_db / 20.0)
                data = np.clip(xf * g, -32768.0, 32767.0).astype(np.int16).tobytes()
            else:
                data = frame.tobytes()
            self.vad_calls += 1
            speech = self._vad.is_speech(data, self.rate_hz)
        return FrameDecision(speech, level, power, clipped, floor, gain_db)
