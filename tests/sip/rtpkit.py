"""Raw RTP for tests: a caller's media socket, RFC 4733 telephone-events, injection helpers."""

from __future__ import annotations

import random
import socket
import struct
import threading
import time

PCMU_SILENCE = b"\xff" * 160
EVENT_PT = 101


def rtp(pt: int, seq: int, ts: int, ssrc: int, payload: bytes, marker: bool = False) -> bytes:
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF,
                       ts & 0xFFFFFFFF, ssrc) + payload


def dtmf_event(digit: int, duration: int, end: bool, volume: int = 10) -> bytes:
    return struct.pack("!BBH", digit, (0x80 if end else 0) | volume, duration)


def digit_packets(digit: int, seq: int, ts: int, ssrc: int) -> list[bytes]:
    """A whole RFC 4733 event as a sender emits it: start, updates, three end packets."""
    packets = []
    for i, duration in enumerate((160, 480, 800, 1120)):
        packets.append(rtp(EVENT_PT, seq + i, ts, ssrc, dtmf_event(digit, duration, False),
                           marker=i == 0))
    for i in range(3):
        packets.append(rtp(EVENT_PT, seq + 4 + i, ts, ssrc, dtmf_event(digit, 1280, True)))
    return packets


class RtpPeer:
    """A UDP media socket that streams PCMU silence every 20 ms and counts what it receives."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.ssrc = random.getrandbits(32)
        self.seq = random.getrandbits(15)
        self.ts = random.getrandbits(31)
        self.received = 0
        self.target: tuple[str, int] | None = None
        self.sending = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def start(self, target: tuple[str, int]) -> None:
        self.target = target
        self.sending.set()

    def send(self, packet: bytes) -> None:
        assert self.target is not None
        with self._lock:
            self.sock.sendto(packet, self.target)

    def next_seq_ts(self, packets: int, samples: int) -> tuple[int, int]:
        with self._lock:
            seq, ts = self.seq, self.ts
            self.seq += packets
            self.ts += samples
        return seq, ts

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            if self.sending.is_set() and self.target is not None:
                seq, ts = self.next_seq_ts(1, 160)
                with self._lock:
                    self.sock.sendto(rtp(0, seq, ts, self.ssrc, PCMU_SILENCE), self.target)
            try:
                while True:
                    self.sock.recvfrom(2048)
                    self.received += 1
            except OSError:
                pass
            next_at += 0.02
            time.sleep(max(0.0, next_at - time.monotonic()))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()
