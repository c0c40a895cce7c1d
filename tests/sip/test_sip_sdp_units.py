"""Pure checks of ivr.sip.sdp: what passes, what is refused and why (no SIP needed)."""

from __future__ import annotations

import pytest
from hostile import sdp

from ivr.sip.sdp import check_sdp, connection_hosts, valid_host
from ivr.sip.validate import check_request


@pytest.mark.parametrize("host,kind,ok", [
    ("192.0.2.1", "IP4", True), ("::1", "IP6", True), ("2001:db8::1", "IP6", True),
    ("pbx.example.com", "IP4", True), ("a" * 63 + ".example", "IP4", True),
    ("a" * 64, "IP4", False), ("a" * 254, "IP4", False), ("1.2.3.999", "IP4", False),
    ("192.0.2.1", "IP6", False), ("::1", "IP4", False), ("-bad.example", "IP4", False),
    ("%s%n", "IP4", False), ("", "IP4", False), ("a..b", "IP4", False),
])
def test_valid_host(host: str, kind: str, ok: bool) -> None:
    assert valid_host(host, kind) is ok


def test_plain_offer_passes() -> None:
    assert check_sdp(sdp().encode()) is None
    assert check_sdp(sdp(extra="a=rtcp:40001 IN IP4 192.0.2.7").encode()) is None
    assert check_sdp(sdp(media_c="0.0.0.0").encode()) is None  # hold (RFC 2543 style)


@pytest.mark.parametrize("body,reason", [
    (sdp(session_c="a" * 254), "Bad Connection Address"),
    (sdp(media_c="x" * 300), "Bad Connection Address"),
    (sdp(extra="a=rtcp:40001 IN IP4 " + "a" * 254), "Bad RTCP Address"),
    (sdp(extra="a=rtcp:70000"), "Bad RTCP Attribute"),
    (sdp().replace("c=IN IP4", "c=IN IPX"), "Bad Connection Line"),
    (sdp().replace("m=audio 40000", "m=audio 65536"), "Bad Media Port"),
    (sdp().replace(" 0 101", " " + " ".join(["0"] * 40)), "Bad Media Formats"),
    (sdp() + "m=audio 1 RTP/AVP 0\r\n" * 9, "Too Many Media Lines"),
    (sdp() + "a=x:1\r\n" * 70, "Too Many SDP Attributes"),
    (sdp(extra="a=x:" + "y" * 600), "SDP Line Too Long"),
    (sdp(extra="a=x:\x1b[2J"), "Control Character In SDP"),
    (sdp() + "junk\r\n", "Bad SDP Line"),
    ("s=-\r\n" + sdp(), "SDP Must Start With v=0"),
])
def test_bad_offers_are_refused_with_488(body: str, reason: str) -> None:
    assert check_sdp(body.encode()) == (488, reason)


def test_non_ascii_sdp_is_refused() -> None:
    assert check_sdp(sdp(extra="a=tool:\u4f60\u597d").encode()) == (488, "Non-ASCII SDP")


def _invite(body: str, content_type: str = "application/sdp", method: str = "INVITE") -> bytes:
    head = (f"{method} sip:ivr@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5062;"
            "branch=z9hG4bK1\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:ivr@127.0.0.1>\r\n"
            f"Call-ID: 1\r\nCSeq: 1 {method}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return (head + body).encode()


@pytest.mark.parametrize("method", ["INVITE", "UPDATE", "ACK", "PRACK"])
def test_check_request_reads_the_body_of_every_method_that_carries_sdp(method: str) -> None:
    assert check_request(_invite(sdp(), method=method)) is None
    assert check_request(_invite(sdp(session_c="a" * 254), method=method)) == (
        488, "Bad Connection Address")


def test_multipart_bodies_are_refused_and_other_types_left_to_pjsua() -> None:
    assert check_request(_invite("--b\r\n\r\nv=0\r\n--b--", "multipart/mixed;boundary=b")) == (
        415, "Multipart Body Not Accepted")
    assert check_request(_invite("hello", "text/plain")) is None


def test_connection_hosts() -> None:
    body = sdp(media_c="192.0.2.9").encode()
    assert connection_hosts(body) == {"127.0.0.1", "192.0.2.9"}
