"""Caller audio for sipp: 8 kHz PCM as a pcap of G.711 A-law RTP packets (play_pcap_audio).

sipp replays the UDP payloads of a pcap with the packets' own spacing (Debian's sip-tester
ships g711a.pcap, 8 s of English). The benches need other speech (the Korean bench locale,
bench/ko_locale.py), so this writes the same kind of file: Ethernet/IPv4/UDP frames, one RTP
packet (payload type 8, 160 samples) every 20 ms.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from ivr.media.g711 import alaw_encode

PCAP_MAGIC = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
RTP_PT_PCMA = 8
SAMPLES_PER_PACKET = 160  # 20 ms at 8 kHz
PACKET_S = 0.02
SRC_PORT, DST_PORT = 16000, 6000  # sipp rewrites both
SSRC = 0x1B0B_5EED


def _ipv4_header(payload_len: int) -> bytes:
    total = 20 + payload_len
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    words = struct.unpack("!10H", header)
    s = sum(words)
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return header[:10] + struct.pack("!H", ~s & 0xFFFF) + header[12:]


def write_pcap(samples: np.ndarray, path: Path) -> int:
    """Write 8 kHz int16 ``samples`` as A-law RTP in a pcap; returns the packets written
    (a trailing part of a packet is padded with silence)."""
    x = np.asarray(samples, dtype=np.int16)
    n = -(-len(x) // SAMPLES_PER_PACKET)
    x = np.pad(x, (0, n * SAMPLES_PER_PACKET - len(x)))
    codes = alaw_encode(x).astype(np.uint8).tobytes()
    out = [struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET)]
    for i in range(n):
        rtp = struct.pack("!BBHII", 0x80 | 0, (0x80 if i == 0 else 0) | RTP_PT_PCMA,
                          i & 0xFFFF, (i * SAMPLES_PER_PACKET) & 0xFFFFFFFF, SSRC)
        body = codes[i * SAMPLES_PER_PACKET:(i + 1) * SAMPLES_PER_PACKET]
        udp = struct.pack("!HHHH", SRC_PORT, DST_PORT, 8 + len(rtp) + len(body), 0)
        ip = _ipv4_header(len(udp) + len(rtp) + len(body))
        frame = b"\x00" * 12 + b"\x08\x00" + ip + udp + rtp + body
        t = i * PACKET_S
        sec = int(t)
        out.append(struct.pack("<IIII", sec, round((t - sec) * 1e6), len(frame), len(frame)))
        out.append(frame)
    path.write_bytes(b"".join(out))
    return n
