"""Speakerphone detection figures: the decay estimate on real speech, dry and in synthetic rooms,
and its cost per 20 ms call frame. Prints figures; asserts nothing.

    python bench/reverb_eval.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ivr.media.resample import resample
from ivr.media.reverb import ReverbEstimator, estimate_decay_s
from ivr.media.wavio import read_wav

RATE = 8000


def room(rt60_s: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(RATE * rt60_s * 1.2)
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * 10 ** (-3 * t / rt60_s)
    tail[: int(0.003 * RATE)] = 0.0
    tail /= np.sqrt(np.sum(tail**2))
    tail[0] += 1.0
    return tail


def main() -> None:
    files = sorted(Path("/usr/share/pocketsphinx/test/data").rglob("*.wav"))
    if not files:
        sys.exit("pocketsphinx-testdata is not installed")
    parts = []
    for path in files:
        audio = read_wav(path)
        parts += [resample(audio.samples, audio.rate_hz, RATE).astype(np.float64),
                  np.zeros(RATE // 2)]
    speech = np.concatenate(parts)
    noise = np.random.default_rng(0).standard_normal(len(speech)) * 3.0
    print(f"speech: {len(speech) / RATE:.1f} s from {len(files)} pocketsphinx files")
    for rt60 in (None, 0.3, 0.6, 0.9):
        x = speech if rt60 is None else np.convolve(speech, room(rt60))[: len(speech)]
        x = np.clip(np.round(x / np.max(np.abs(x)) * 0.3 * 32767 + noise), -32768, 32767)
        decay = estimate_decay_s(x.astype(np.int16), RATE)
        label = "dry (handset)" if rt60 is None else f"room RT60 {rt60:.1f} s"
        print(f"{label:>18}: decay estimate {decay if decay is None else round(decay, 2)} s")
    frame = (np.random.default_rng(1).standard_normal(160) * 1000).astype(np.int16)
    est = ReverbEstimator()
    n = 20000
    start = time.perf_counter()
    for _ in range(n):
        est.push_frame(frame, RATE)
    print(f"cost: {(time.perf_counter() - start) / n * 1e6:.1f} us per 20 ms frame")


if __name__ == "__main__":
    main()
