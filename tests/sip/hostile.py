"""Helpers for the hostile-caller tests: a raw-SIP dialog we drive by hand (INVITE, ACK,
re-INVITE, UPDATE, REFER, BYE) so a test can send exactly what an attacker would."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from rawsip import Response, SipProbe


def sdp(host: str = "127.0.0.1", rtp_port: int = 40000, *, session_c: str | None = None,
        media_c: str | None = None, extra: str = "") -> str:
    """An audio offer; ``session_c``/``media_c`` replace the connection addresses."""
    lines = ["v=0", f"o=probe 1 1 IN IP4 {host}", "s=-",
             f"c=IN IP4 {session_c if session_c is not None else host}", "t=0 0",
             f"m=audio {rtp_port} RTP/AVP 0 101"]
    if media_c is not None:
        lines.append(f"c=IN IP4 {media_c}")
    lines += ["a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"]
    if extra:
        lines.append(extra)
    return "\r\n".join(lines) + "\r\n"


@dataclass
class Dialog:
    """One call set up by hand through a SipProbe."""

    probe: SipProbe
    call_id: str
    to_tag: str = ""
    cseq: int = 1
    answer: Response | None = None

    def invite(self, body: str, timeout_s: float = 5.0) -> Response | None:
        """Initial INVITE (or re-INVITE once to_tag is set); ACKs a 2xx."""
        cseq = self.cseq
        self.probe.send(self.probe.request("INVITE", call_id=self.call_id, cseq=cseq,
                                           to_tag=self.to_tag, body=body))
        final = self.probe._final(self.call_id, "INVITE", timeout_s)
        self.cseq += 1
        if final is not None and 200 <= final.code < 300:
            if not self.to_tag:
                self.to_tag = final.headers.get("to", "").partition(";tag=")[2].split(";")[0]
                self.answer = final
            self.probe.send(self.probe.request("ACK", call_id=self.call_id, cseq=cseq,
                                               to_tag=self.to_tag))
        return final

    def request(self, method: str, *, extra: str = "", body: str = "",
                timeout_s: float = 3.0) -> Response | None:
        """An in-dialog request; its final response."""
        self.probe.send(self.probe.request(method, call_id=self.call_id, cseq=self.cseq,
                                           to_tag=self.to_tag, extra=extra, body=body))
        self.cseq += 1
        return self.probe._final(self.call_id, method, timeout_s)

    def rtp_port(self) -> int:
        """The agent's RTP port from its answer."""
        assert self.answer is not None
        match = re.search(rb"m=audio (\d+)", self.answer.raw)
        assert match is not None
        return int(match.group(1))

    def bye(self) -> Response | None:
        return self.request("BYE")


def new_dialog(port: int, transport: str = "udp", host: str = "127.0.0.1") -> Dialog:
    return Dialog(SipProbe(port, transport, host), uuid.uuid4().hex)
