"""Generate the labelled line-condition evaluation set (deterministic, seeded).

Real human speech from Debian's pocketsphinx-testdata (librivox, cards, raw 16 kHz utterances) is
set to known active speech levels (P.56 style), mixed with noise at known SNRs, and delivered as
a telephone line would: resampled to 8 kHz and passed through G.711 (mu-law or A-law, written as
a G.711 WAV), or kept at 16 kHz 16-bit PCM.

Labels (the clear cases the verdict must get right):
  ok          speech at -32..-18 dBFS, clean or mild noise at SNR >= 25 dB
  low_volume  speech at -53..-47 dBFS (about -50), clean or mild noise at SNR >= 25 dB
  noisy       speech at -30..-20 dBFS in white, pink, hum or babble noise at 0-5 dB SNR
  silent      digital silence, or low hiss/hum at -75..-63 dBFS

Generated audio is never committed: it goes to a temporary directory or to the gitignored
tests/data/generated/.  Usage: python tests/data/make_eval_set.py [--out DIR] [--per-class N]
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ivr.media.g711 import through_g711  # noqa: E402
from ivr.media.levels import active_speech_level_dbfs  # noqa: E402
from ivr.media.resample import resample  # noqa: E402
from ivr.media.wavio import Audio, read_wav, write_wav  # noqa: E402

SPEECH_DIR = Path("/usr/share/pocketsphinx/test/data")
RAW_16K = ("goforward.raw", "numbers.raw", "something.raw")
LABELS = ("ok", "low_volume", "noisy", "silent")
NOISE_KINDS = ("white", "pink", "hum", "babble")
SOURCE_RATE_HZ = 16000
MAX_SPEECH_S = 4.0
PAD_S = 0.5  # line noise before and after the talker
SILENT_S = 3.0
DEFAULT_PER_CLASS = 40
DEFAULT_SEED = 20261123


@dataclass(frozen=True, eq=False)
class EvalCase:
    name: str
    label: str
    audio: Audio  # what the analyser sees (G.711 already applied for 8 kHz cases)
    encoding: str  # how it is written: pcm16, mulaw or alaw
    meta: dict[str, object] = field(default_factory=dict)


def speech_sources() -> list[np.ndarray]:
    """All usable real speech recordings, 16 kHz int16."""
    if not SPEECH_DIR.is_dir():
        raise FileNotFoundError(
            f"{SPEECH_DIR} not found: install the Debian package pocketsphinx-testdata"
        )
    out = []
    for wav in sorted(SPEECH_DIR.glob("*/*.wav")):
        a = read_wav(wav)
        out.append(resample(a.samples, a.rate_hz, SOURCE_RATE_HZ))
    for raw in RAW_16K:
        p = SPEECH_DIR / raw
        if p.exists():
            out.append(np.fromfile(p, dtype="<i2").astype(np.int16))
    if len(out) < 4:
        raise FileNotFoundError(f"too few speech recordings under {SPEECH_DIR}")
    return out


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(x, dtype=np.float64) ** 2)))


def _at_level(x: np.ndarray, level_dbfs: float) -> np.ndarray:
    """Scale float samples so their active speech level is ``level_dbfs``."""
    current = active_speech_level_dbfs(np.clip(x, -32768, 32767).astype(np.int16), SOURCE_RATE_HZ)
    assert current is not None
    return x * 10 ** ((level_dbfs - current) / 20)


def _at_rms(x: np.ndarray, level_dbfs: float) -> np.ndarray:
    return x * (32768.0 * 10 ** (level_dbfs / 20) / max(_rms(x), 1e-9))


def make_noise(kind: str, n: int, rng: np.random.Generator, sources: list[np.ndarray],
               exclude: int = -1) -> np.ndarray:
    """Unit-free noise of ``n`` samples at 16 kHz (scaled by the caller)."""
    if kind == "white":
        return rng.normal(0.0, 1.0, n)
    if kind == "pink":  # 1/f power from 20 Hz up (no line carries sub-audio drift)
        spec = np.fft.rfft(rng.normal(0.0, 1.0, n))
        f = np.fft.rfftfreq(n, 1.0 / SOURCE_RATE_HZ)
        return np.fft.irfft(spec * np.where(f >= 20.0, 1.0 / np.sqrt(np.maximum(f, 1.0)), 0.0), n)
    if kind == "hum":
        t = np.arange(n) / SOURCE_RATE_HZ
        phase = rng.uniform(0, 2 * np.pi, 8)
        hum = sum(np.sin(2 * np.pi * 50 * k * t + phase[k - 1]) / k for k in range(1, 9))
        return hum + 0.05 * rng.normal(0.0, 1.0, n)
    if kind == "babble":
        picks = [i for i in rng.permutation(len(sources)) if i != exclude][:5]
        out = np.zeros(n)
        for i in picks:
            s = sources[i].astype(np.float64)
            start = int(rng.integers(0, len(s)))
            tiled = np.tile(np.roll(s, -start), n // len(s) + 1)[:n]
            out += tiled / max(_rms(tiled), 1e-9)
        return out
    raise ValueError(f"unknown noise kind {kind!r}")


def _deliver(x: np.ndarray, rng: np.random.Generator, i: int) -> tuple[Audio, str, int]:
    """Half the cases at 8 kHz through G.711 (alternating laws), half at 16 kHz PCM."""
    pcm = np.clip(np.rint(x), -32768, 32767).astype(np.int16)
    if i % 2 == 0:
        law = "mulaw" if (i // 2) % 2 == 0 else "alaw"
        narrow = through_g711(resample(pcm, SOURCE_RATE_HZ, 8000), law)
        return Audio(narrow, 8000), law, 8000
    return Audio(pcm, SOURCE_RATE_HZ), "pcm16", SOURCE_RATE_HZ


def _speech_case(label: str, i: int, rng: np.random.Generator,
                 sources: list[np.ndarray]) -> EvalCase:
    src_i = int(rng.integers(0, len(sources)))
    s = sources[src_i].astype(np.float64)
    max_n = int(MAX_SPEECH_S * SOURCE_RATE_HZ)
    if len(s) > max_n:
        start = int(rng.integers(0, len(s) - max_n))
        s = s[start : start + max_n]
    if label == "ok":
        level = float(rng.uniform(-32, -18))
    elif label == "low_volume":
        level = float(rng.uniform(-53, -47))
    else:
        level = float(rng.uniform(-30, -20))
    speech = _at_level(s, level)
    pad = int(PAD_S * SOURCE_RATE_HZ)
    speech = np.concatenate([np.zeros(pad), speech, np.zeros(pad)])
    if label == "noisy":
        kind = NOISE_KINDS[i % len(NOISE_KINDS)]
        snr = float(rng.uniform(0, 5))
    elif i % 3 == 0:
        kind, snr = "none", None
    else:
        kind = NOISE_KINDS[i % len(NOISE_KINDS)]
        snr = float(rng.uniform(25, 35))
    x = speech
    if snr is not None:
        noise = make_noise(kind, len(speech), rng, sources, exclude=src_i)
        x = speech + _at_rms(noise, level - snr)
    audio, enc, rate = _deliver(x, rng, i)
    meta = {"source": src_i, "speech_level_dbfs": round(level, 2), "noise": kind,
            "snr_db": None if snr is None else round(snr, 2), "rate_hz": rate}
    return EvalCase(f"{label}_{i:03d}", label, audio, enc, meta)


def _silent_case(i: int, rng: np.random.Generator, sources: list[np.ndarray]) -> EvalCase:
    n = int(SILENT_S * SOURCE_RATE_HZ)
    kind = ("digital", "white", "pink", "hum")[i % 4]
    if kind == "digital":
        x, level = np.zeros(n), None
    else:
        level = float(rng.uniform(-75, -63))
        x = _at_rms(make_noise(kind, n, rng, sources), level)
    audio, enc, rate = _deliver(x, rng, i)
    meta = {"source": None, "speech_level_dbfs": None, "noise": kind,
            "noise_level_dbfs": None if level is None else round(level, 2), "rate_hz": rate}
    return EvalCase(f"silent_{i:03d}", "silent", audio, enc, meta)


def generate(seed: int = DEFAULT_SEED, per_class: int = DEFAULT_PER_CLASS) -> list[EvalCase]:
    """The whole labelled set, in memory; identical for the same seed."""
    rng = np.random.default_rng(seed)
    sources = speech_sources()
    cases: list[EvalCase] = []
    for label in LABELS:
        for i in range(per_class):
            if label == "silent":
                cases.append(_silent_case(i, rng, sources))
            else:
                cases.append(_speech_case(label, i, rng, sources))
    return cases


def write(cases: list[EvalCase], out_dir: Path) -> Path:
    """Write each case as a WAV (G.711 ones as G.711 WAVs) plus labels.csv; returns the csv."""
    out_dir.mkdir(parents=True, exist_ok=True)
    labels = out_dir / "labels.csv"
    with labels.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "label", "encoding", "rate_hz", "speech_level_dbfs", "noise", "snr_db"])
        for c in cases:
            path = out_dir / f"{c.name}.wav"
            write_wav(path, c.audio.samples, c.audio.rate_hz, encoding=c.encoding)
            w.writerow([path.name, c.label, c.encoding, c.audio.rate_hz,
                        c.meta.get("speech_level_dbfs"), c.meta.get("noise"), c.meta.get("snr_db")])
    return labels


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "tests/data/generated/eval")
    ap.add_argument("--per-class", type=int, default=DEFAULT_PER_CLASS)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    cases = generate(args.seed, args.per_class)
    labels = write(cases, args.out)
    print(f"{len(cases)} cases written; labels in {labels}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
