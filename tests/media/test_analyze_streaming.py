"""`ivr analyze` streams the file (issue 11 item 11): a 1 GiB sparse WAV took 3.2 GB of memory.

The memory bound is measured with tracemalloc (numpy's buffers and Python's bytes are traced)
on a 32 MiB sparse file, analysed through the real command; a streamed analysis gives the same
figures as the whole-signal one. About 4 s.
"""

from __future__ import annotations

import json
import struct
import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest

from ivr.cli import main as ivr_main
from ivr.media.analysis import analyze_audio, analyze_file
from ivr.media.resample import StreamResampler, resample
from ivr.media.wavio import WavError, WavReader, read_wav, write_wav

MIB = 1024 * 1024
SPARSE_MIB = 32
PEAK_LIMIT_MIB = 4  # the whole file in memory would be 32 MiB (and several copies of it)


def sparse_wav(path: Path, data_bytes: int, rate: int = 8000) -> Path:
    """A 16-bit mono WAV whose data chunk is a hole in the file (all zeros, no disk used)."""
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    header = (b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + data_bytes) + b"WAVE"
              + b"fmt " + struct.pack("<I", len(fmt)) + fmt
              + b"data" + struct.pack("<I", data_bytes))
    with open(path, "wb") as fh:
        fh.write(header)
        fh.truncate(len(header) + data_bytes)
    return path


def _analyze_peak(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict, int]:
    """`ivr analyze --json` in this process; its output and traced peak memory (bytes)."""
    tracemalloc.start()
    try:
        code = ivr_main(["analyze", str(path), "--json"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 0
    return json.loads(capsys.readouterr().out), peak


def test_analyze_of_a_large_sparse_file_has_bounded_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = sparse_wav(tmp_path / "small.wav", MIB // 4)
    _analyze_peak(small, capsys)  # imports and caches first: they are not the file's memory
    _, small_peak = _analyze_peak(small, capsys)
    big = sparse_wav(tmp_path / "big.wav", SPARSE_MIB * MIB)
    out, peak = _analyze_peak(big, capsys)
    assert out["verdict"] == "silent"
    assert out["duration_s"] == pytest.approx(SPARSE_MIB * MIB / 2 / 8000, abs=0.001)
    assert peak < PEAK_LIMIT_MIB * MIB, f"peak {peak / MIB:.1f} MiB"
    assert peak < small_peak + MIB, (small_peak, peak)  # does not grow with the file


def _speechlike(rate: int, seconds: float, seed: int = 1) -> np.ndarray:
    """Bursts of modulated noise with pauses and a low hiss: speech, silence and a floor."""
    rng = np.random.default_rng(seed)
    n = int(rate * seconds)
    t = np.arange(n) / rate
    bursts = (np.sin(2 * np.pi * 0.7 * t) > 0.2).astype(np.float64)
    voice = rng.normal(0, 3000, n) * (0.6 + 0.4 * np.sin(2 * np.pi * 180 * t)) * bursts
    hiss = rng.normal(0, 60, n)
    return np.clip(voice + hiss, -32768, 32767).astype(np.int16)


@pytest.mark.parametrize(
    ("rate", "encoding", "stereo"),
    [(8000, "pcm16", False), (16000, "pcm16", False), (44100, "pcm16", True),
     (11025, "pcm16", False), (8000, "mulaw", False)],
)
def test_streamed_figures_equal_the_whole_signal_ones(
    tmp_path: Path, rate: int, encoding: str, stereo: bool
) -> None:
    x = _speechlike(rate, 12.0)
    path = tmp_path / "a.wav"
    if stereo:
        with wave.open(str(path), "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(np.column_stack([x, x // 2]).astype("<i2").tobytes())
    else:
        write_wav(path, x, rate, encoding=encoding)
    whole = analyze_audio(read_wav(path))
    streamed = analyze_file(path, block_frames=1000)  # small blocks: many block edges
    assert streamed.verdict == whole.verdict
    assert streamed.duration_s == whole.duration_s
    assert streamed.speech_ratio == whole.speech_ratio
    assert streamed.clipping_ratio == whole.clipping_ratio
    assert streamed.noise_floor_dbfs == pytest.approx(whole.noise_floor_dbfs, abs=0.01)
    for a, b in ((streamed.speech_level_dbfs, whole.speech_level_dbfs),
                 (streamed.snr_db, whole.snr_db)):
        assert (a is None) == (b is None)
        if a is not None:
            assert a == pytest.approx(b, abs=0.01)


@pytest.mark.parametrize(("src", "dst"), [(44100, 16000), (22050, 8000), (11025, 8000),
                                          (8000, 16000)])
def test_stream_resampler_equals_the_whole_signal_resampler(src: int, dst: int) -> None:
    x = _speechlike(src, 1.3, seed=src)
    rs = StreamResampler(src, dst)
    rng = np.random.default_rng(7)
    parts, pos = [], 0
    while pos < len(x):
        step = int(rng.integers(1, 3000))
        parts.append(rs.push(x[pos:pos + step]))
        pos += step
    parts.append(rs.flush())
    assert np.array_equal(np.concatenate(parts), resample(x, src, dst))


def test_reader_refuses_a_truncated_data_chunk(tmp_path: Path) -> None:
    path = sparse_wav(tmp_path / "t.wav", 1000)
    with open(path, "r+b") as fh:
        fh.truncate(200)
    with pytest.raises(WavError, match="truncated"):
        WavReader(path).close()
    with pytest.raises(WavError, match="truncated"):
        analyze_file(path)
