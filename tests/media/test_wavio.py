"""WAV reading: every accepted format, and a named refusal for each bad kind."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from ivr.media import g711
from ivr.media.wavio import WavError, read_wav, write_wav


def _tone(rate: int, n: int | None = None) -> np.ndarray:
    n = n or rate // 10
    return (8000 * np.sin(2 * np.pi * 440 * np.arange(n) / rate)).astype(np.int16)


def _raw_wav(path: Path, tag: int, channels: int, rate: int, bits: int, body: bytes,
             declared: int | None = None) -> Path:
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    size = len(body) if declared is None else declared
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", size) + body
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)
    return path


@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 44100, 48000])
def test_pcm16_mono_round_trip(tmp_path: Path, rate: int) -> None:
    x = _tone(rate)
    write_wav(tmp_path / "a.wav", x, rate)
    a = read_wav(tmp_path / "a.wav")
    assert a.rate_hz == rate
    assert np.array_equal(a.samples, x)
    assert a.duration_s == pytest.approx(len(x) / rate)


def test_stereo_is_downmixed(tmp_path: Path) -> None:
    left, right = _tone(8000), np.full(800, 1000, dtype=np.int16)
    with wave.open(str(tmp_path / "s.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(np.column_stack([left, right]).astype("<i2").tobytes())
    a = read_wav(tmp_path / "s.wav")
    expected = ((left.astype(np.int32) + 1000) // 2).astype(np.int16)
    assert np.array_equal(a.samples, expected)


@pytest.mark.parametrize("law", ["mulaw", "alaw"])
def test_g711_wav_is_decoded(tmp_path: Path, law: str) -> None:
    x = _tone(8000)
    write_wav(tmp_path / "g.wav", x, 8000, encoding=law)
    raw = (tmp_path / "g.wav").read_bytes()
    assert struct.unpack_from("<H", raw, 20)[0] == (7 if law == "mulaw" else 6)
    with pytest.raises(wave.Error):  # the stdlib refuses it: our parser is needed
        wave.open(str(tmp_path / "g.wav"))
    a = read_wav(tmp_path / "g.wav")
    assert np.array_equal(a.samples, g711.through_g711(x, law))
    assert np.max(np.abs(a.samples.astype(int) - x)) < 300


def test_extensible_pcm_and_odd_chunk_padding(tmp_path: Path) -> None:
    x = _tone(16000, 160)
    ext = struct.pack("<HHIIHHHHIH14s", 0xFFFE, 1, 16000, 32000, 2, 16, 22, 16, 4, 1, b"\x00" * 14)
    junk = b"LIST" + struct.pack("<I", 3) + b"abc\x00"  # odd size, padded
    body = x.astype("<i2").tobytes()
    chunks = (b"fmt " + struct.pack("<I", len(ext)) + ext + junk
              + b"data" + struct.pack("<I", len(body)) + body)
    p = tmp_path / "ext.wav"
    p.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)
    assert np.array_equal(read_wav(p).samples, x)


def _bad_files(tmp: Path) -> dict[str, tuple[Path, str]]:
    body = _tone(8000).astype("<i2").tobytes()
    (tmp / "empty.wav").write_bytes(b"")
    (tmp / "text.wav").write_text("hello, I am not audio\n")
    good = tmp / "good.wav"
    write_wav(good, _tone(8000), 8000)
    (tmp / "trunc.wav").write_bytes(good.read_bytes()[:300])
    (tmp / "header_only.wav").write_bytes(good.read_bytes()[:20])
    return {
        "empty": (tmp / "empty.wav", "empty"),
        "not wav": (tmp / "text.wav", "not a WAV"),
        "truncated": (tmp / "trunc.wav", "truncated"),
        "header only": (tmp / "header_only.wav", "truncated"),
        "24-bit": (_raw_wav(tmp / "b24.wav", 1, 1, 8000, 24, b"\x00" * 300), "24-bit"),
        "float": (_raw_wav(tmp / "f.wav", 3, 1, 8000, 32, b"\x00" * 320), "IEEE float"),
        "absurd rate": (_raw_wav(tmp / "r.wav", 1, 1, 1_000_000, 16, body), "1000000 Hz"),
        "low rate": (_raw_wav(tmp / "r2.wav", 1, 1, 4000, 16, body), "4000 Hz"),
        "no samples": (_raw_wav(tmp / "z.wav", 1, 1, 8000, 16, b""), "no audio"),
        "6 channels": (_raw_wav(tmp / "c6.wav", 1, 6, 8000, 16, body[:1200]), "6 channels"),
        "missing": (tmp / "nope.wav", "no such file"),
        "directory": (tmp, "directory"),
    }


@pytest.mark.parametrize(
    "kind",
    ["empty", "not wav", "truncated", "header only", "24-bit", "float", "absurd rate",
     "low rate", "no samples", "6 channels", "missing", "directory"],
)
def test_bad_files_are_refused_with_a_named_message(tmp_path: Path, kind: str) -> None:
    path, words = _bad_files(tmp_path)[kind]
    with pytest.raises(WavError) as err:
        read_wav(path)
    msg = str(err.value)
    assert str(path) in msg
    assert words in msg
    assert isinstance(err.value, ValueError)
