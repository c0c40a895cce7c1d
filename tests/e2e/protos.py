"""A fast sender for the PROTOS c07-sip test cases (../shared/protos-c07-sip, see its README).

Each case file holds an INVITE (mostly malformed on purpose) and its teardown (CANCEL or BYE),
each preceded by its length and a space, with placeholders the sender fills in. Cases are sent
over UDP from one socket without waiting case by case; whatever the agent answers is read as it
comes: a 2xx gets its ACK and a BYE at once, so answered cases free their call slot within
milliseconds instead of holding it until the ACK timer fires.
"""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CASES_DIR = Path(os.environ.get("IVR_PROTOS_DIR", Path(__file__).resolve().parents[3] / "shared"
                                / "protos-c07-sip" / "cases"))
MAX_DATAGRAM_BYTES = 65_507
_CONTENT_LENGTH = b"<Content-Length>"


def case_files() -> list[Path]:
    return sorted(p for p in CASES_DIR.iterdir() if p.is_file()) if CASES_DIR.is_dir() else []


def split_messages(data: bytes) -> list[bytes]:
    """The messages of a case file: "<length> <bytes>" repeated."""
    messages = []
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0 or not data[pos:space].isdigit():
            break
        size = int(data[pos:space])
        messages.append(data[space + 1 : space + 1 + size])
        pos = space + 1 + size
    return messages


def fill(template: bytes, values: dict[bytes, bytes], teardown: bytes) -> bytes:
    """Placeholders filled in; <Content-Length> is the body's length after filling."""
    text = template.replace(b"<Teardown-Method>", teardown)
    for key, value in values.items():
        text = text.replace(key, value)
    head, sep, body = text.partition(b"\r\n\r\n")
    if _CONTENT_LENGTH in head:
        head = head.replace(_CONTENT_LENGTH, str(len(body)).encode())
    return head + sep + body


@dataclass
class Stats:
    sent: int = 0
    too_big: int = 0
    responses: dict[int, int] = field(default_factory=dict)
    answered: int = 0


class ProtosSender:
    """Sends cases from ``local_host`` to the agent at (host, port) over UDP."""

    def __init__(self, host: str, port: int, local_host: str = "127.0.0.2") -> None:
        self.target = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((local_host, 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.setblocking(False)
        self.local = (local_host, self.sock.getsockname()[1])
        self.stats = Stats()

    def close(self) -> None:
        self.sock.close()

    def messages(self, path: Path) -> Iterator[bytes]:
        host, port = self.target
        lhost, lport = self.local
        call_id = uuid.uuid4().hex
        values = {
            b"<To>": f"ivr@{host}:{port}".encode(), b"<From>": f"protos@{lhost}:{lport}".encode(),
            b"<From-Address>": lhost.encode(), b"<From-IP>": lhost.encode(),
            b"<Local-Port>": str(lport).encode(), b"<Branch-ID>": uuid.uuid4().hex[:12].encode(),
            b"<Call-ID>": call_id.encode(), b"<CSeq>": b"1",
        }
        for template in split_messages(path.read_bytes()):
            yield fill(template, values, b"CANCEL")

    def send_case(self, path: Path) -> None:
        for message in self.messages(path):
            if len(message) > MAX_DATAGRAM_BYTES:
                self.stats.too_big += 1
                continue
            self.sock.sendto(message, self.target)
            self.stats.sent += 1

    def pump(self, wait_s: float = 0.0) -> None:
        """Read every response waiting (for up to ``wait_s``); ACK + BYE each 2xx to INVITE."""
        deadline = time.monotonic() + wait_s
        while True:
            try:
                data, _ = self.sock.recvfrom(65_535)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.002)
                continue
            self._on_response(data)

    def _on_response(self, data: bytes) -> None:
        match = re.match(rb"SIP/2\.0 (\d{3})", data)
        if match is None:
            return
        code = int(match.group(1))
        self.stats.responses[code] = self.stats.responses.get(code, 0) + 1
        head = data.split(b"\r\n\r\n", 1)[0]
        if not 200 <= code < 300 or not re.search(rb"\r\nCSeq: *\d+ INVITE", head):
            return
        self.stats.answered += 1
        to = re.search(rb"\r\n(?:To|t): *([^\r\n]*)", head)
        frm = re.search(rb"\r\n(?:From|f): *([^\r\n]*)", head)
        cid = re.search(rb"\r\n(?:Call-ID|i): *([^\r\n]*)", head)
        if not (to and frm and cid):
            return
        host, port = self.target
        lhost, lport = self.local
        for cseq, method in ((1, b"ACK"), (2, b"BYE")):
            branch = uuid.uuid4().hex[:16].encode()
            self.sock.sendto(
                b"%s sip:ivr@%s:%d SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s\r\n"
                b"Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\n"
                b"Content-Length: 0\r\n\r\n" % (method, host.encode(), port, lhost.encode(),
                                                lport, branch, frm.group(1), to.group(1),
                                                cid.group(1), cseq, method),
                self.target)
