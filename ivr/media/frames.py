"""Frame slicing: the media layer works on 10, 20 or 30 ms frames of int16 mono PCM."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

FRAME_MS_CHOICES = (10, 20, 30)
VAD_RATES_HZ = (8000, 16000, 32000, 48000)  # what webrtcvad accepts
DEFAULT_FRAME_MS = 20


def frame_length(rate_hz: int, frame_ms: int = DEFAULT_FRAME_MS) -> int:
    """Samples per frame; refuses frame sizes the VAD cannot take."""
    if frame_ms not in FRAME_MS_CHOICES:
        raise ValueError(f"frame_ms={frame_ms} is not one of {FRAME_MS_CHOICES}")
    if rate_hz <= 0 or (rate_hz * frame_ms) % 1000:
        raise ValueError(f"rate_hz={rate_hz} does not give whole {frame_ms} ms frames")
    return rate_hz * frame_ms // 1000


def vad_rate_for(rate_hz: int) -> int:
    """The rate a file is analysed at: its own if the VAD takes it, else 8 or 16 kHz."""
    if rate_hz in VAD_RATES_HZ:
        return rate_hz
    return 16000 if rate_hz > 16000 else 8000


def split_frames(samples: np.ndarray, frame_len: int) -> np.ndarray:
    """Whole frames as a 2-D view ``(n_frames, frame_len)``; a trailing partial frame is dropped."""
    x = np.ascontiguousarray(samples, dtype=np.int16)
    n = len(x) // frame_len
    return x[: n * frame_len].reshape(n, frame_len)


def iter_frames(
    samples: np.ndarray, rate_hz: int, frame_ms: int = DEFAULT_FRAME_MS
) -> Iterator[np.ndarray]:
    """Yield successive whole frames of ``samples`` (what a call's media port would deliver)."""
    yield from split_frames(samples, frame_length(rate_hz, frame_ms))


def as_int16(frame: np.ndarray | bytes | bytearray | memoryview) -> np.ndarray:
    """A frame as an int16 array, whether it came as little-endian bytes or an array."""
    if isinstance(frame, (bytes, bytearray, memoryview)):
        if len(frame) % 2:
            raise ValueError(f"a PCM frame has an even number of bytes, got {len(frame)}")
        return np.frombuffer(frame, dtype="<i2")
    arr = np.asarray(frame)
    if arr.dtype != np.int16:
        raise ValueError(f"frame samples must be int16, got {arr.dtype}")
    return arr
