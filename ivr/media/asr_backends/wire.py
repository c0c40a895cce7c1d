"""The recogniser service's framing on a Unix stream socket: kind (1 byte), length, payload.

Client -> service: HELLO (JSON: rate_hz, grammar, label), AUDIO (int16 LE PCM), END (segment
ended), GRAMMAR (JSON list of phrases, or null for full vocabulary), CLOSE; or PING alone (is
the model loaded? the supervisor starts the workers once it is).
Service -> client: READY (after HELLO or PING), RESULT (JSON SegmentResult), ERROR (UTF-8
reason; the service closes the stream after it).
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

HELLO = b"H"
AUDIO = b"A"
END = b"E"
GRAMMAR = b"G"
CLOSE = b"C"
PING = b"P"
READY = b"K"
RESULT = b"R"
ERROR = b"X"

HEADER = struct.Struct(">cI")
MAX_PAYLOAD_BYTES = 1 << 20  # 1 MiB: 32 s of 16 kHz audio; anything larger is a broken peer


class WireError(ConnectionError):
    """The peer closed the stream or sent something that is not our framing."""


def pack(kind: bytes, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, len(payload)) + payload


def pack_json(kind: bytes, value: Any) -> bytes:
    return pack(kind, json.dumps(value, ensure_ascii=False).encode())


def _read_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise WireError("peer closed the stream")
        buf += chunk
    return bytes(buf)


def read_message(sock: socket.socket) -> tuple[bytes, bytes]:
    """(kind, payload); raises WireError at end of stream or on a bad length."""
    kind, length = HEADER.unpack(_read_exact(sock, HEADER.size))
    if length > MAX_PAYLOAD_BYTES:
        raise WireError(f"message of {length} bytes exceeds {MAX_PAYLOAD_BYTES}")
    return kind, _read_exact(sock, length) if length else b""
