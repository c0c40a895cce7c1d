"""G.711 mu-law and A-law companding with numpy lookup tables.

Tables are built once at import (the classic Sun reference algorithm, vectorised): decoding is a
256-entry table, encoding a 65,536-entry table indexed by the int16 sample's bit pattern, so both
directions are one numpy ``take`` per buffer.
"""

from __future__ import annotations

import numpy as np

_MU_BIAS = 0x84
_MU_CLIP = 32635
_SEG_END = np.array([0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF, 0x3FFF, 0x7FFF], dtype=np.int64)
_SEG_AEND = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF], dtype=np.int64)


def _build_mulaw_decode() -> np.ndarray:
    u = ~np.arange(256, dtype=np.int64) & 0xFF
    t = ((u & 0x0F) << 3) + _MU_BIAS
    t = t << ((u & 0x70) >> 4)
    return np.where(u & 0x80, _MU_BIAS - t, t - _MU_BIAS).astype(np.int16)


def _build_alaw_decode() -> np.ndarray:
    a = np.arange(256, dtype=np.int64) ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    t = np.where(seg == 0, t + 8, t + 0x108)
    t = np.where(seg > 1, t << np.maximum(seg - 1, 0), t)
    return np.where(a & 0x80, t, -t).astype(np.int16)


def _build_mulaw_encode() -> np.ndarray:
    pcm = np.arange(65536, dtype=np.int64)
    pcm = np.where(pcm >= 32768, pcm - 65536, pcm)  # index = uint16 view of int16
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(pcm), _MU_CLIP) + _MU_BIAS
    seg = np.searchsorted(_SEG_END, mag)  # first segment whose end >= mag
    uval = (seg << 4) | ((mag >> (seg + 3)) & 0x0F)
    return (uval ^ mask).astype(np.uint8)


def _build_alaw_encode() -> np.ndarray:
    pcm = np.arange(65536, dtype=np.int64)
    pcm = np.where(pcm >= 32768, pcm - 65536, pcm) >> 3
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    mag = np.where(pcm >= 0, pcm, -pcm - 1)
    seg = np.searchsorted(_SEG_AEND, mag)
    low = np.where(seg < 2, (mag >> 1) & 0x0F, (mag >> np.minimum(seg, 7)) & 0x0F)
    aval = np.where(seg >= 8, 0x7F, (np.minimum(seg, 7) << 4) | low)
    return (aval ^ mask).astype(np.uint8)


MULAW_DECODE = _build_mulaw_decode()
ALAW_DECODE = _build_alaw_decode()
_MULAW_ENCODE = _build_mulaw_encode()
_ALAW_ENCODE = _build_alaw_encode()


def _index(samples: np.ndarray) -> np.ndarray:
    return np.asarray(samples, dtype=np.int16).view(np.uint16)


def mulaw_encode(samples: np.ndarray) -> np.ndarray:
    """int16 samples -> uint8 mu-law codes."""
    return _MULAW_ENCODE[_index(samples)]


def mulaw_decode(codes: np.ndarray) -> np.ndarray:
    """uint8 mu-law codes -> int16 samples."""
    return MULAW_DECODE[np.asarray(codes, dtype=np.uint8)]


def alaw_encode(samples: np.ndarray) -> np.ndarray:
    """int16 samples -> uint8 A-law codes."""
    return _ALAW_ENCODE[_index(samples)]


def alaw_decode(codes: np.ndarray) -> np.ndarray:
    """uint8 A-law codes -> int16 samples."""
    return ALAW_DECODE[np.asarray(codes, dtype=np.uint8)]


def through_g711(samples: np.ndarray, law: str = "mulaw") -> np.ndarray:
    """Encode and decode again: what a telephone line does to the samples."""
    if law == "mulaw":
        return mulaw_decode(mulaw_encode(samples))
    if law == "alaw":
        return alaw_decode(alaw_encode(samples))
    raise ValueError(f"law {law!r} is not 'mulaw' or 'alaw'")
