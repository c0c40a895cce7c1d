"""The caller-side analysis alone, per 20 ms frame vs in 100 ms blocks (issue 16, lever
"vectorised level/VAD over several frames"); prints figures, asserts nothing.

The same real speech (pocketsphinx-testdata, with pauses, 8 kHz) goes through the
FrameTranslator frame by frame (`push` + the recogniser's segment take: the 20 ms port path)
and in blocks (`push_block`: the sip.port_frame_ms = 100 path; the events are the same, bit for
bit: tests/media/test_batched_frames.py). Interleaved rounds, best of each, so a busy machine
shifts both alike. The whole agent's CPU is bench/capacity.py's (full vs full100, --baseline).

    .venv/bin/python bench/frame_path.py [--seconds 60] [--rounds 5] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ivr.media.monitor import LineThresholds  # noqa: E402
from ivr.media.resample import resample  # noqa: E402
from ivr.media.translator import FrameTranslator  # noqa: E402
from ivr.media.wavio import read_wav  # noqa: E402

SPEECH = Path("/usr/share/pocketsphinx/test/data/librivox/"
              "sense_and_sensibility_01_austen_64kb-0880.wav")
RATE = 8000
FRAME = RATE // 50
BLOCK = 5 * FRAME


def audio(seconds: float) -> np.ndarray:
    a = read_wav(SPEECH)
    talk = resample(a.samples, a.rate_hz, RATE)
    one = np.concatenate([talk, np.zeros(RATE, np.int16)])
    x = np.tile(one, int(seconds * RATE // len(one)) + 1)[: int(seconds * RATE)]
    return x[: len(x) // BLOCK * BLOCK]


def per_frame(x: np.ndarray) -> float:
    tr = FrameTranslator(LineThresholds(), RATE)
    t0 = time.perf_counter()
    for i in range(0, len(x), FRAME):
        tr.push(x[i:i + FRAME])
        if tr.in_speech:
            tr.take_segment_frames()
    return time.perf_counter() - t0


def blocks(x: np.ndarray) -> float:
    tr = FrameTranslator(LineThresholds(), RATE)
    t0 = time.perf_counter()
    for i in range(0, len(x), BLOCK):
        tr.push_block(x[i:i + BLOCK])
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="audio per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="20 s of audio, 3 rounds")
    args = parser.parse_args()
    if not SPEECH.exists():
        print("bench/frame_path.py needs pocketsphinx-testdata", file=sys.stderr)
        return 2
    if args.quick:
        args.seconds, args.rounds = 20.0, 3
    x = audio(args.seconds)
    frames = len(x) // FRAME
    best = {"per 20 ms frame": float("inf"), "100 ms blocks": float("inf")}
    for _ in range(args.rounds):
        best["per 20 ms frame"] = min(best["per 20 ms frame"], per_frame(x))
        best["100 ms blocks"] = min(best["100 ms blocks"], blocks(x))
    load = os.getloadavg()
    print(f"FrameTranslator on {frames} frames of real speech with pauses ({RATE} Hz), best of "
          f"{args.rounds} interleaved rounds; load average {load[0]:.2f}")
    for name, seconds in best.items():
        print(f"  {name:<16} {seconds / frames * 1e6:6.1f} us per 20 ms frame "
              f"({seconds / frames * 50 * 100:.3f} % of a core per call)")
    ratio = best["100 ms blocks"] / best["per 20 ms frame"]
    print(f"  blocks / frames: {ratio:.2f}x the time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
