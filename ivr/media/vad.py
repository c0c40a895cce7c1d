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
from typing import Any, NamedTuple

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
_MAX_SAFE_POWER = 32767.0**2  # a frame's energy below this bounds every |sample| below 32767


def count_clipped(frames: np.ndarray, axis: int | None = None) -> Any:
    """Samples at or beyond +-:data:`CLIP_SAMPLE_ABS` (per row with ``axis=1``).

    Two comparisons, not ``np.abs``: the absolute value of int16 -32768 wraps to -32768."""
    return np.count_nonzero((frames >= CLIP_SAMPLE_ABS) | (frames <= -CLIP_SAMPLE_ABS), axis=axis)


class FrameDecision(NamedTuple):
    """What the VAD stage found in one frame (a named tuple: one is built per 20 ms frame, and a
    tuple is several times cheaper to build than a frozen dataclass)."""

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
        self._is_speech = self._vad.is_speech
        self._shape = (self.frame_len,)
        self._boosted = np.empty(self.frame_len, dtype=np.int16)  # gained frame for webrtcvad
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
        """Classify one int16 frame of exactly ``frame_len`` samples.

        The hot path of every call (50 frames a second per caller): the energy is one BLAS dot
        product, the rest is float arithmetic on locals; numpy is only used again when the frame
        goes to webrtcvad with a gain, and clipping of the boosted frame is only checked when its
        energy says a sample could reach full scale.
        """
        if frame.shape != self._shape:
            raise ValueError(
                f"frame has {frame.size} samples, expected {self.frame_len} "
                f"({self.frame_ms} ms at {self.rate_hz} Hz)"
            )
        xf = frame.astype(np.float64)
        power = float(xf.dot(xf))
        clipped = count_clipped(frame) if power >= _CLIP_ENERGY else 0
        return self._decide(frame, xf, power, clipped)

    def decide_block(self, frames: np.ndarray) -> list[FrameDecision]:
        """Classify ``k`` consecutive frames given as a ``(k, frame_len)`` int16 array.

        The same decisions as ``k`` calls of :meth:`decide`, bit for bit, with the numpy work done
        once for the block (a longer media-port frame, ``sip.port_frame_ms``): one conversion,
        one row-wise sum of squares, one clipping count. The energies are sums of squares of
        int16 values, integers below 2**53, so they are exact whatever the summation order; the
        rest (floor, gain, webrtcvad) is sequential and runs per frame through the same code.
        """
        if frames.ndim != 2 or frames.shape[1:] != self._shape:
            raise ValueError(
                f"block has shape {frames.shape}, expected (k, {self.frame_len}) "
                f"({self.frame_ms} ms frames at {self.rate_hz} Hz)"
            )
        xf = frames.astype(np.float64)
        powers: list[float] = np.einsum("ij,ij->i", xf, xf).tolist()
        if max(powers, default=0.0) >= _CLIP_ENERGY:
            clips: list[int] = count_clipped(frames, axis=1).tolist()
        else:
            clips = [0] * len(powers)
        decide = self._decide
        return [decide(frames[i], xf[i], powers[i], clips[i]) for i in range(len(powers))]

    def _decide(
        self, frame: np.ndarray, xf: np.ndarray, power: float, clipped: int
    ) -> FrameDecision:
        """The sequential part of one frame's decision (both paths): level, running floor,
        gain, webrtcvad. ``xf`` is the frame as float64, ``power`` its sum of squares."""
        if power:
            level = self._log_scale * math.log(power / self._ref)
            if level < _DB_FLOOR:
                level = _DB_FLOOR
        else:
            level = _DB_FLOOR
        # running noise floor: min over the current and previous sub-windows
        cur = self._cur_min
        if level < cur:
            cur = level
        self._sub_count += 1
        if self._sub_count >= self._sub_len:
            self._prev_min, cur, self._sub_count = cur, math.inf, 0
        self._cur_min = cur
        prev = self._prev_min
        floor = cur if cur < prev else prev
        self.floor_dbfs = floor
        # automatic gain from a peak envelope with slow release
        env = self._env_db
        decay = self._decay
        if env is None or level > env - decay:
            env = level
        else:
            env -= decay
        self._env_db = env
        gain_db = AGC_TARGET_DBFS - env
        if gain_db < AGC_MIN_GAIN_DB:
            gain_db = 0.0
        elif gain_db > AGC_MAX_GAIN_DB:
            gain_db = AGC_MAX_GAIN_DB
        self.frames += 1
        speech = False
        data: bytes | np.ndarray
        if level > self.silent_below_dbfs and level >= floor + self.noise_margin_db:
            if gain_db:
                g = 10.0 ** (gain_db / 20.0)
                if power * g * g < _MAX_SAFE_POWER:  # no sample can pass 32767: no clip needed
                    # one ufunc call, truncating into a reused int16 buffer (as astype does)
                    data = np.multiply(xf, g, out=self._boosted, casting="unsafe")
                else:
                    data = np.clip(xf * g, -32768.0, 32767.0).astype(np.int16)
            else:
                data = frame.tobytes()  # bytes: the caller's array need not be contiguous
            self.vad_calls += 1
            speech = self._is_speech(data, self.rate_hz)
        return FrameDecision(speech, level, power, clipped, floor, gain_db)
