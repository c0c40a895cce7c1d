"""Fast access to a pjsua2 ``ByteVector`` (SWIG ``std::vector<unsigned char>``) via ctypes.

``bytes(frame.buf)`` walks the vector element by element (about 190 us per 320-byte frame); the
vector's storage is contiguous and libstdc++ keeps its begin and end pointers at offsets 0 and 8
of the object, so one ``string_at`` copies it in a few microseconds (see FACTS.md).
"""

from __future__ import annotations

import ctypes
from typing import Any

_PTR = ctypes.c_void_p


def _vector_address(vec: Any) -> int:
    return int(vec.this)


def _span(vec: Any) -> tuple[int, int]:
    addr = _vector_address(vec)
    begin = _PTR.from_address(addr).value or 0
    end = _PTR.from_address(addr + 8).value or 0
    return begin, end - begin


def read_bytes(vec: Any) -> bytes:
    """The vector's bytes, copied in one call."""
    begin, size = _span(vec)
    if size <= 0 or not begin:
        return b""
    return ctypes.string_at(begin, size)


def write_bytes(vec: Any, data: bytes) -> None:
    """Overwrite the vector's storage in place; ``data`` must have exactly the vector's size."""
    begin, size = _span(vec)
    if size != len(data):
        raise ValueError(f"ByteVector holds {size} bytes, got {len(data)}")
    if size:
        ctypes.memmove(begin, data, size)
