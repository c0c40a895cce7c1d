"""Lock a call's RTP/RTCP sockets to the negotiated caller, in the kernel.

pjmedia processes RTP from any source: a packet from elsewhere is decoded (an RFC 2833 event
becomes a digit) and, after a few packets while the caller pauses, pjmedia even switches its
send address to the newcomer. pjsua2 in this wheel has no switch to make source checking strict
(``PJMEDIA_UDP_NO_SRC_ADDR_CHECKING`` is a compile-time transport option and only stops the
switch; the packets are still decoded), and it does not report where packets come from
(``MediaTransportInfo.srcRtpName`` stays empty). So at media start we attach a classic BPF
socket filter (``SO_ATTACH_FILTER``) to pjmedia's own sockets (found by their local address):
the kernel drops every datagram whose IPv4 source is not one of the signalled addresses (the
SDP's connection address and the INVITE's source, for a caller behind NAT) before pjmedia reads
it, at no cost per packet in Python. pjmedia's own port learning still works among those
addresses. For an IPv6 caller the sockets are ``connect()``-ed to the SDP address instead
(strict: no port learning).

Limits: packets already queued before the filter is attached are still read (milliseconds at
media start); a sender that can use the caller's own IP address is not told apart.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from pathlib import Path

from ivr.sip.bpf import IPV4_SOURCE, JEQ_K, KEEP_ALL, LD_W_ABS, RET_K, Program, attach_filter

logger = logging.getLogger(__name__)

Address = tuple[str, int]


def parse_address(text: str) -> Address | None:
    """("192.0.2.1", 4000) from "192.0.2.1:4000" or "[2001:db8::1]:4000"; None if unusable."""
    host, sep, port = str(text).rpartition(":")
    if not sep or not port.isdigit():
        return None
    host = host.strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    number = int(port)
    if address.is_unspecified or not 0 < number <= 65535:
        return None
    return str(address), number


def find_udp_socket(local: Address) -> int | None:
    """The fd of this process's UDP socket bound to ``local`` (pjmedia's), or None."""
    for entry in Path("/proc/self/fd").iterdir():
        try:
            fd = int(entry.name)
            if not os.readlink(entry).startswith("socket:"):
                continue
            probe = socket.socket(fileno=os.dup(fd))
        except (OSError, ValueError):
            continue
        try:
            if probe.type != socket.SOCK_DGRAM:
                continue
            name = probe.getsockname()
            if str(ipaddress.ip_address(name[0])) == local[0] and name[1] == local[1]:
                return fd
        except (OSError, ValueError):
            continue
        finally:
            probe.close()  # closes the duplicate only
    return None


def connect_socket(fd: int, peer: Address) -> None:
    """connect(2) the socket behind ``fd`` to ``peer`` (through a duplicate descriptor)."""
    family = socket.AF_INET6 if ":" in peer[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM, fileno=os.dup(fd))
    try:
        sock.connect(peer)
    finally:
        sock.close()


def source_filter(allowed: list[str]) -> Program:
    """Classic BPF: accept a datagram only when its IPv4 source is in ``allowed``."""
    count = len(allowed)
    program = [(LD_W_ABS, 0, 0, IPV4_SOURCE)]
    for i, ip in enumerate(allowed):
        # Match: jump to the accept at the end; else fall through to the next test.
        program.append((JEQ_K, count - i, 0, int(ipaddress.IPv4Address(ip))))
    return [*program, (RET_K, 0, 0, 0), (RET_K, 0, 0, KEEP_ALL)]


class MediaLock:
    """Lock one call's media sockets to the signalled addresses (SIP engine thread)."""

    def __init__(self, tag: str, local_rtp: Address, local_rtcp: Address | None,
                 signalled_rtp: Address, signalled_rtcp: Address | None,
                 source_ip: str) -> None:
        self.tag = tag
        self.local_rtp = local_rtp
        self.local_rtcp = local_rtcp
        self.signalled_rtp = signalled_rtp
        self.signalled_rtcp = signalled_rtcp
        self.allowed = sorted({signalled_rtp[0], *([source_ip] if source_ip else [])})
        self.locked = False
        self.failed = False

    def lock(self) -> bool:
        """Apply the lock now; False (and a warning) when it could not be applied."""
        try:
            fds = [find_udp_socket(self.local_rtp)]
            if fds[0] is None:
                raise OSError(f"no UDP socket bound to {self.local_rtp}")
            if self.local_rtcp is not None:
                fds.append(find_udp_socket(self.local_rtcp))
            if all(ipaddress.ip_address(ip).version == 4 for ip in self.allowed):
                program = source_filter(self.allowed)
                for fd in fds:
                    if fd is not None:
                        attach_filter(fd, program)
            else:
                connect_socket(fds[0], self.signalled_rtp)  # type: ignore[arg-type]
                rtcp = self.signalled_rtcp or (self.signalled_rtp[0], self.signalled_rtp[1] + 1)
                if len(fds) > 1 and fds[1] is not None:
                    connect_socket(fds[1], rtcp)
        except (OSError, ValueError) as exc:
            self.failed = True
            logger.warning("%s: media not locked to the caller (%s); RTP from other sources "
                           "is accepted for this call", self.tag, exc)
            return False
        self.locked = True
        logger.info("%s: media locked to %s", self.tag, ", ".join(self.allowed))
        return True
