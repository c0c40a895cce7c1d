"""A tiny raw SIP client for tests: hand-made INVITE/ACK/BYE and arbitrary bytes over UDP/TCP.

It lets a test see exact responses (codes, Retry-After) and send malformed messages, which a
real UA library would refuse to produce.
"""

from __future__ import annotations

import socket
import time
import uuid
from dataclasses import dataclass, field


@dataclass
class Response:
    code: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""


def parse_response(data: bytes) -> Response | None:
    """First status line and headers of a SIP response ('' -> None)."""
    text = data.decode("utf-8", "replace")
    if not text.startswith("SIP/2.0 "):
        return None
    head = text.split("\r\n\r\n", 1)[0]
    lines = head.split("\r\n")
    parts = lines[0].split(" ", 2)
    try:
        code = int(parts[1])
    except (IndexError, ValueError):
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), value.strip())
    return Response(code, parts[2] if len(parts) > 2 else "", headers, data)


def split_stream(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Complete messages in a TCP byte stream (by Content-Length) and the remainder."""
    messages = []
    while b"\r\n\r\n" in buffer:
        head, rest = buffer.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() in (b"content-length", b"l"):
                length = int(value.strip() or 0)
        if len(rest) < length:
            break
        messages.append(head + b"\r\n\r\n" + rest[:length])
        buffer = rest[length:]
    return messages, buffer


class SipProbe:
    """One socket (UDP or TCP) to the agent; sends requests and reads responses."""

    def __init__(self, agent_port: int, transport: str = "udp", host: str = "127.0.0.1",
                 local_host: str | None = None) -> None:
        self.agent = (host, agent_port)
        self.transport = transport
        self.local_host = local_host or host
        if transport == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((self.local_host, 0))
        else:
            self.sock = socket.create_connection(self.agent, timeout=5,
                                                 source_address=(self.local_host, 0))
        self.local_port = self.sock.getsockname()[1]
        self._buffer = b""

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        if self.transport == "udp":
            self.sock.sendto(data, self.agent)
        else:
            self.sock.sendall(data)

    def receive(self, timeout_s: float) -> list[bytes]:
        """Messages that arrive within timeout_s (stops early after the first batch)."""
        self.sock.settimeout(timeout_s)
        try:
            if self.transport == "udp":
                data, _ = self.sock.recvfrom(65535)
                return [data]
            while True:
                messages, self._buffer = split_stream(self._buffer)
                if messages:
                    return messages
                chunk = self.sock.recv(65535)
                if not chunk:
                    return []
                self._buffer += chunk
        except OSError:  # timeouts and resets alike
            return []

    def responses(self, timeout_s: float) -> list[Response]:
        """Every response arriving within timeout_s."""
        deadline = time.monotonic() + timeout_s
        found = []
        while (left := deadline - time.monotonic()) > 0:
            for message in self.receive(left):
                response = parse_response(message)
                if response is not None:
                    found.append(response)
        return found

    @property
    def local(self) -> str:
        """Our address as written in Via/From/Contact."""
        return getattr(self, "local_host", None) or self.agent[0]

    def request(self, method: str, *, call_id: str, cseq: int, to_tag: str = "",
                extra: str = "", body: str = "", branch: str = "") -> bytes:
        host, port = self.agent
        branch = branch or f"z9hG4bK{uuid.uuid4().hex[:16]}"
        to = f"<sip:ivr@{host}:{port}>" + (f";tag={to_tag}" if to_tag else "")
        lines = [
            f"{method} sip:ivr@{host}:{port};transport={self.transport} SIP/2.0",
            f"Via: SIP/2.0/{self.transport.upper()} {self.local}:{self.local_port};rport;"
            f"branch={branch}",
            "Max-Forwards: 70",
            f"From: <sip:probe@{self.local}:{self.local_port}>;tag=probe{call_id[:8]}",
            f"To: {to}",
            f"Call-ID: {call_id}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:probe@{self.local}:{self.local_port};"
            f"transport={self.transport}>",
        ]
        if extra:
            lines.append(extra.rstrip("\r\n"))
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()

    def sdp(self) -> str:
        host = self.agent[0]
        return (
            "v=0\r\n"
            f"o=probe 1 1 IN IP4 {host}\r\n"
            "s=-\r\n"
            f"c=IN IP4 {host}\r\n"
            "t=0 0\r\n"
            "m=audio 40000 RTP/AVP 0 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n"
        )

    def call(self, timeout_s: float = 5.0, hang_up: bool = True) -> Response | None:
        """INVITE; on 200 send ACK and (hang_up) BYE. Returns the INVITE's final response."""
        call_id = uuid.uuid4().hex
        branch = f"z9hG4bK{uuid.uuid4().hex[:16]}"
        self.send(self.request("INVITE", call_id=call_id, cseq=1, body=self.sdp(),
                               branch=branch))
        final = self._final(call_id, "INVITE", timeout_s)
        if final is None:
            return None
        to_tag = final.headers.get("to", "").partition(";tag=")[2].split(";")[0]
        if final.code >= 300:
            # ACK for a non-2xx final response reuses the INVITE's branch (RFC 3261 17.1.1.3).
            self.send(self.request("ACK", call_id=call_id, cseq=1, to_tag=to_tag, branch=branch))
            return final
        self.send(self.request("ACK", call_id=call_id, cseq=1, to_tag=to_tag))
        if hang_up:
            self.send(self.request("BYE", call_id=call_id, cseq=2, to_tag=to_tag))
            self._final(call_id, "BYE", timeout_s)
        return final

    def _final(self, call_id: str, method: str, timeout_s: float) -> Response | None:
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            for message in self.receive(left):
                response = parse_response(message)
                if response is None or response.code < 200:
                    continue
                if response.headers.get("call-id") != call_id:
                    continue
                if not response.headers.get("cseq", "").endswith(method):
                    continue
                return response
        return None
