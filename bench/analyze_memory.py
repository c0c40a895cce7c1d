"""Peak memory of `ivr analyze` on a large sparse WAV (issue 11: 1 GiB once took 3.2 GB).

Writes a 16-bit mono 8 kHz WAV whose data chunk is a hole (no disk used), runs `ivr analyze
--json` on it in a child process and prints the child's peak RSS (resource.getrusage) and the
time taken. Usage: .venv/bin/python bench/analyze_memory.py [--mib 1024] [--rate 8000]
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = (
    "import resource, sys; from ivr.cli import main; code = main(sys.argv[1:]); "
    "print('maxrss_kib', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(code)"
)


def sparse_wav(path: Path, data_bytes: int, rate: int) -> None:
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    header = (b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + data_bytes) + b"WAVE"
              + b"fmt " + struct.pack("<I", len(fmt)) + fmt
              + b"data" + struct.pack("<I", data_bytes))
    with open(path, "wb") as fh:
        fh.write(header)
        fh.truncate(len(header) + data_bytes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024, help="size of the data chunk (MiB)")
    parser.add_argument("--rate", type=int, default=8000, help="sample rate (Hz)")
    args = parser.parse_args()
    data_bytes = min(args.mib * 1024 * 1024, 0xFFFFFFFF - 64)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sparse.wav"
        sparse_wav(path, data_bytes, args.rate)
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", CHILD, "analyze", str(path), "--json"],
                              cwd=ROOT, capture_output=True, text=True, check=False)
        took = time.monotonic() - started
    rss = next((int(line.split()[1]) for line in proc.stdout.splitlines()
                if line.startswith("maxrss_kib")), -1)
    audio_s = data_bytes / 2 / args.rate
    print(f"ivr analyze on a {data_bytes / 2**20:.0f} MiB sparse WAV ({audio_s / 3600:.1f} h at "
          f"{args.rate} Hz): exit {proc.returncode}, peak RSS {rss / 1024:.0f} MiB, {took:.1f} s")
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
