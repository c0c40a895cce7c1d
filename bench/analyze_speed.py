"""Throughput of the full LineMonitor vs bare webrtcvad on the same 8 kHz frames (one core).

Prints real-time multiples and the ratio; target: LineMonitor over 1000x real time and no slower
than 3x bare webrtcvad.  Usage: .venv/bin/python bench/analyze_speed.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import webrtcvad

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ivr.media.frames import iter_frames
from ivr.media.monitor import LineMonitor, LineThresholds
from ivr.media.resample import resample
from ivr.media.segmenter import SpeechSegmenter
from ivr.media.wavio import read_wav

SPEECH = Path("/usr/share/pocketsphinx/test/data/librivox")


def load_audio(seconds: float) -> np.ndarray:
    """Real speech, resampled to 8 kHz, with quiet gaps and some noise, tiled to ``seconds``."""
    rng = np.random.default_rng(0)
    parts = []
    for p in sorted(SPEECH.glob("*.wav")):
        a = read_wav(p)
        parts += [resample(a.samples, a.rate_hz, 8000), np.zeros(8000, np.int16)]
    x = np.concatenate(parts).astype(np.float64) + rng.normal(0, 30, sum(map(len, parts)))
    n = int(seconds * 8000)
    return np.clip(np.tile(x, n // len(x) + 1)[:n], -32768, 32767).astype(np.int16)


def best_of(fn, repeats: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    x = load_audio(args.seconds)
    frames = list(iter_frames(x, 8000, 20))
    as_bytes = [f.tobytes() for f in frames]
    th = LineThresholds()

    def bare() -> None:
        v = webrtcvad.Vad(th.vad_aggressiveness)
        for b in as_bytes:
            v.is_speech(b, 8000)

    def monitor() -> None:
        m = LineMonitor(th, 8000)
        for f in frames:
            m.push(f)

    def monitor_bytes() -> None:
        m = LineMonitor(th, 8000)
        for b in as_bytes:
            m.push(b)

    def monitor_and_segmenter() -> None:
        m = LineMonitor(th, 8000)
        s = SpeechSegmenter.for_monitor(m)
        for f in frames:
            m.push(f)
            s.push(f, m.last)

    n = len(frames)
    t_bare = best_of(bare)
    print(f"{args.seconds:.0f} s of 8 kHz speech with pauses, {n} frames of 20 ms, one core")
    print(f"{'':32s}{'us/frame':>10s}{'x real time':>14s}{'vs bare':>10s}")
    for name, fn in [("bare webrtcvad (the floor)", None), ("LineMonitor (array frames)", monitor),
                     ("LineMonitor (bytes frames)", monitor_bytes),
                     ("LineMonitor + SpeechSegmenter", monitor_and_segmenter)]:
        t = t_bare if fn is None else best_of(fn)
        print(f"{name:32s}{1e6 * t / n:10.2f}{args.seconds / t:14.0f}{t / t_bare:10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
