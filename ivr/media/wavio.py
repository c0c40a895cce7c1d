"""WAV file reading and writing for the media layer.

The stdlib ``wave`` module refuses G.711 (format tags 6 and 7), which is what telephone
recordings usually are, so the RIFF chunks are parsed here.  Everything we cannot use is refused
with a :class:`WavError` that names the file and the problem, so the CLI can print one line.
"""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ivr.media import g711

MIN_RATE_HZ = 8000
MAX_RATE_HZ = 48000
MAX_CHANNELS = 2

FORMAT_PCM = 1
FORMAT_ALAW = 6
FORMAT_MULAW = 7
FORMAT_EXTENSIBLE = 0xFFFE

_FORMAT_NAMES = {
    FORMAT_PCM: "PCM",
    3: "IEEE float",
    FORMAT_ALAW: "G.711 A-law",
    FORMAT_MULAW: "G.711 mu-law",
    0x11: "IMA ADPCM",
    0x31: "GSM 6.10",
    0x55: "MP3",
}

ENCODINGS = ("pcm16", "mulaw", "alaw")


class WavError(ValueError):
    """A file that cannot be used as audio; the message names the file and the problem."""


@dataclass(frozen=True, eq=False)
class Audio:
    """Mono 16-bit PCM samples at a known rate (what the rest of ``ivr.media`` works on)."""

    samples: np.ndarray
    rate_hz: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate_hz


def _fail(path: Path | str, problem: str) -> WavError:
    return WavError(f"{path}: {problem}")


def _format_name(tag: int) -> str:
    return _FORMAT_NAMES.get(tag, f"format tag 0x{tag:04x}")


def read_wav(path: str | Path) -> Audio:
    """Read a WAV file into mono int16 :class:`Audio`.

    Accepts 16-bit PCM and G.711 mu-law/A-law, mono or stereo (downmixed), 8-48 kHz.
    Raises :class:`WavError` for anything else. The whole file ends up in memory: for
    arbitrarily long files read blocks from a :class:`WavReader` instead.
    """
    with WavReader(path) as reader:
        return reader.read_all()


def parse_wav(data: bytes, name: str = "<bytes>") -> Audio:
    """Parse WAV bytes (see :func:`read_wav`); ``name`` is used in error messages."""
    with WavReader(io.BytesIO(data), name=name) as reader:
        return reader.read_all()


DEFAULT_BLOCK_FRAMES = 65536  # samples per channel read at a time: 128-256 kB of PCM
_MAX_FMT_BYTES = 64  # all we read of a 'fmt ' chunk (WAVE_FORMAT_EXTENSIBLE needs 40)


class WavReader:
    """A WAV file opened for reading in blocks (bounded memory, whatever the file's size).

    The header is parsed by seeking from chunk to chunk, so a 'data' chunk of any length is
    never read whole; :meth:`blocks` then decodes it a block at a time to mono int16.
    """

    def __init__(self, source: str | Path | BinaryIO, name: str | None = None) -> None:
        self.name = name or str(source)
        if isinstance(source, (str, Path)):
            p = Path(source)
            try:
                self._fh: BinaryIO = open(p, "rb")  # closed by close()
            except IsADirectoryError:
                raise _fail(p, "is a directory, not a WAV file") from None
            except FileNotFoundError:
                raise _fail(p, "no such file") from None
            except OSError as exc:
                raise _fail(p, f"cannot read ({exc.strerror or exc})") from None
        else:
            self._fh = source
        try:
            self._parse_header()
        except OSError as exc:
            self.close()
            raise _fail(self.name, f"cannot read ({exc.strerror or exc})") from None
        except WavError:
            self.close()
            raise

    def __enter__(self) -> WavReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._fh.close()

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.rate_hz

    def _parse_header(self) -> None:
        fh, name = self._fh, self.name
        size_total = fh.seek(0, io.SEEK_END)
        fh.seek(0)
        if size_total == 0:
            raise _fail(name, "file is empty")
        head = fh.read(12)
        if len(head) < 12 or head[0:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise _fail(name, "not a WAV file (no RIFF/WAVE header)")
        fmt: tuple[int, int, int, int, int] | None = None
        data: tuple[int, int] | None = None
        pos = 12
        while pos + 8 <= size_total:
            fh.seek(pos)
            cid, size = struct.unpack("<4sI", fh.read(8))
            body_start = pos + 8
            body_end = body_start + size
            if cid == b"fmt ":
                if size < 16 or body_end > size_total:
                    raise _fail(name, "truncated or malformed 'fmt ' chunk")
                body = fh.read(min(size, _MAX_FMT_BYTES))
                tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from(
                    "<HHIIHH", body
                )
                if tag == FORMAT_EXTENSIBLE:
                    if size < 40:
                        raise _fail(name, "malformed WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk")
                    (tag,) = struct.unpack_from("<H", body, 24)
                fmt = (tag, channels, rate, block_align, bits)
            elif cid == b"data":
                if fmt is None:
                    raise _fail(name, "'data' chunk comes before the 'fmt ' chunk")
                if body_end > size_total:
                    raise _fail(
                        name,
                        f"truncated: 'data' chunk declares {size} bytes but only "
                        f"{size_total - body_start} are present",
                    )
                data = (body_start, size)
                break
            pos = body_end + (size & 1)  # chunks are padded to an even length
        if fmt is None:
            raise _fail(name, "truncated or malformed: no 'fmt ' chunk")
        if data is None:
            raise _fail(name, "truncated or malformed: no 'data' chunk")
        self._tag, self.channels, rate = fmt[0], fmt[1], fmt[2]
        self.rate_hz = int(rate)
        self._frame_bytes = _check_format(fmt, name) * self.channels
        self._data_start = data[0]
        self.n_frames = data[1] // self._frame_bytes
        if self.n_frames == 0:
            raise _fail(name, "no audio (the 'data' chunk is empty)")

    def blocks(self, block_frames: int = DEFAULT_BLOCK_FRAMES) -> Iterator[np.ndarray]:
        """Successive mono int16 blocks of at most ``block_frames`` samples, to the end."""
        if block_frames < 1:
            raise ValueError(f"block_frames must be at least 1, got {block_frames}")
        self._fh.seek(self._data_start)
        left = self.n_frames
        while left > 0:
            n = min(left, block_frames)
            raw = self._fh.read(n * self._frame_bytes)
            if len(raw) < n * self._frame_bytes:
                raise _fail(self.name, "the file got shorter while it was being read")
            left -= n
            yield _decode_block(self._tag, self.channels, raw)

    def read_all(self) -> Audio:
        samples = next(self.blocks(self.n_frames))
        return Audio(samples=np.ascontiguousarray(samples, dtype=np.int16), rate_hz=self.rate_hz)


def _check_format(fmt: tuple[int, int, int, int, int], name: str) -> int:
    """Bytes per sample of one channel, or a WavError naming what is not supported."""
    tag, channels, rate, block_align, bits = fmt
    if tag == FORMAT_PCM:
        if bits != 16:
            raise _fail(name, f"{bits}-bit PCM is not supported (only 16-bit PCM or G.711)")
        width = 2
    elif tag in (FORMAT_MULAW, FORMAT_ALAW):
        if bits != 8:
            raise _fail(name, f"{_format_name(tag)} with {bits} bits per sample (expected 8)")
        width = 1
    else:
        raise _fail(
            name,
            f"unsupported encoding {_format_name(tag)} (only 16-bit PCM, G.711 mu-law or A-law)",
        )
    if channels < 1 or channels > MAX_CHANNELS:
        raise _fail(name, f"{channels} channels (only mono or stereo)")
    if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
        raise _fail(name, f"sample rate {rate} Hz is outside {MIN_RATE_HZ}-{MAX_RATE_HZ} Hz")
    if block_align not in (0, width * channels):
        raise _fail(name, f"block align {block_align} does not match {channels}x{bits}-bit")
    return width


def _decode_block(tag: int, channels: int, pcm: bytes) -> np.ndarray:
    if tag == FORMAT_PCM:
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.int16)
    elif tag == FORMAT_MULAW:
        samples = g711.mulaw_decode(np.frombuffer(pcm, dtype=np.uint8))
    else:
        samples = g711.alaw_decode(np.frombuffer(pcm, dtype=np.uint8))
    if channels == 2:
        pairs = samples.reshape(-1, 2).astype(np.int32)
        samples = ((pairs[:, 0] + pairs[:, 1]) // 2).astype(np.int16)
    return np.asarray(samples, dtype=np.int16)


def write_wav(
    path: str | Path, samples: np.ndarray, rate_hz: int, *, encoding: str = "pcm16"
) -> None:
    """Write mono samples as a WAV file: 16-bit PCM by default, or G.711 ``mulaw``/``alaw``.

    The G.711 variants exist so tests and the evaluation set can produce telephone recordings.
    """
    arr = np.asarray(samples)
    if arr.ndim != 1:
        raise ValueError(f"samples must be one-dimensional (mono), got shape {arr.shape}")
    arr = np.clip(arr, -32768, 32767).astype(np.int16)
    p = Path(path)
    if encoding == "pcm16":
        with wave.open(str(p), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(int(rate_hz))
            w.writeframes(arr.astype("<i2").tobytes())
        return
    if encoding == "mulaw":
        tag, body = FORMAT_MULAW, g711.mulaw_encode(arr).tobytes()
    elif encoding == "alaw":
        tag, body = FORMAT_ALAW, g711.alaw_encode(arr).tobytes()
    else:
        raise ValueError(f"encoding {encoding!r} is not one of {', '.join(ENCODINGS)}")
    # Non-PCM formats carry cbSize and a 'fact' chunk (sample count).
    fmt = struct.pack("<HHIIHHH", tag, 1, int(rate_hz), int(rate_hz), 1, 8, 0)
    fact = struct.pack("<I", len(body))
    pad = b"\x00" if len(body) & 1 else b""
    chunks = (
        b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"fact" + struct.pack("<I", len(fact)) + fact
        + b"data" + struct.pack("<I", len(body)) + body + pad
    )
    p.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)
