"""Classic BPF programs on sockets: the one place that packs and attaches them.

Three guards use kernel filters instead of per-packet Python: the media lock (drop RTP from
addresses not signalled), the accept gate (drop new TCP handshakes while PJSIP's socket table is
near full) and the oversize responder (steer datagrams PJSIP cannot read to our socket). A
program is a list of (code, jt, jf, k) instructions, as in <linux/filter.h>.
"""

from __future__ import annotations

import ctypes
import os
import socket
import struct

Program = list[tuple[int, int, int, int]]

SO_ATTACH_FILTER = 26  # <asm-generic/socket.h>
SO_DETACH_FILTER = 27
SO_ATTACH_REUSEPORT_CBPF = 51
SKF_NET_OFF = -0x100000  # offset base of the network (IP) header
IPV4_SOURCE = (SKF_NET_OFF + 12) & 0xFFFFFFFF  # where an IPv4 header keeps its source address
LD_W_ABS = 0x20
LD_W_LEN = 0x80
ALU_AND_K = 0x54
JEQ_K = 0x15
JGT_K = 0x25
RET_K = 0x06
KEEP_ALL = 0xFFFF  # "keep this many bytes": the whole packet


class _SockFilter(ctypes.Structure):
    _fields_ = (("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32))


def set_program(sock: socket.socket, option: int, program: Program) -> None:
    """setsockopt(SOL_SOCKET, ``option``, struct sock_fprog) with ``program``."""
    array = (_SockFilter * len(program))(*[_SockFilter(*op) for op in program])
    fprog = struct.pack("HxxxxxxQ", len(program), ctypes.addressof(array))
    sock.setsockopt(socket.SOL_SOCKET, option, fprog)  # the kernel copies the program


def attach_filter(fd: int, program: Program) -> None:
    """SO_ATTACH_FILTER on the socket behind ``fd`` (through a duplicate; the fd stays its
    owner's)."""
    sock = socket.socket(fileno=os.dup(fd))
    try:
        set_program(sock, SO_ATTACH_FILTER, program)
    finally:
        sock.close()


def detach_filter(fd: int) -> None:
    """SO_DETACH_FILTER on the socket behind ``fd``; nothing attached is not an error."""
    sock = socket.socket(fileno=os.dup(fd))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_DETACH_FILTER, 0)
    except OSError:
        pass
    finally:
        sock.close()
