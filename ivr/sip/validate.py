"""Strict checks of a SIP request's start line and header fields, before pjsua sees it.

PJSIP's parser is lenient: it answers 200 to requests that RFC 4475 (section 3.1.2) says a
parser must reject, such as headers in the Request-URI, a datagram shorter than its
Content-Length, a Request-Line with extra spaces, an unquoted display name with a comma, spaces
inside <addr-spec>, a bad Date time zone, two Content-Length headers, an INVITE whose Accept
excludes SDP, or an unknown Require. Pure text functions; ``guard.py`` calls
:func:`check_request` on the raw bytes and answers the code it returns.
"""

from __future__ import annotations

import re

from ivr.sip.sdp import SDP_METHODS, check_sdp

# RFC 3261 25.1 token characters, used for the method and unquoted display names.
_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"
_REQUEST_LINE = re.compile(rf"^({_TOKEN}) (\S+) (SIP/\d+\.\d+)$")
_QUOTED = r'"(?:[^"\\\r\n]|\\.)*"'
_DISPLAY = re.compile(rf"^(?:{_QUOTED}|{_TOKEN}(?:[ \t]+{_TOKEN})*)?[ \t]*$")
_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$"
)
_COMPACT = {"f": "from", "t": "to", "i": "call-id", "l": "content-length", "m": "contact",
            "v": "via", "c": "content-type", "k": "supported", "s": "subject"}
SINGLE_VALUED = ("from", "to", "call-id", "cseq", "content-length", "max-forwards")
SUPPORTED_EXTENSIONS = frozenset({"100rel", "timer", "replaces", "norefersub"})

Verdict = tuple[int, str]


def split_head(raw: bytes) -> tuple[str, list[tuple[str, str]]] | None:
    """Start line and unfolded (name, value) header pairs; None when there is no header end."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        return None
    text = raw[:end].decode("utf-8", "replace")
    lines = text.split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        headers.append((_COMPACT.get(key, key), value.strip()))
    return lines[0], headers


def _name_addr_ok(value: str) -> bool:
    """A From/To value: if it has <...>, the display name and the addr-spec are well formed."""
    if "<" not in value:
        return True
    # The display name may be a quoted string holding "<"; find the "<" after it.
    match = re.match(rf"^[ \t]*({_QUOTED})?", value)
    start = match.end() if match else 0
    lt = value.find("<", start)
    gt = value.find(">", lt)
    if lt < 0 or gt < 0:
        return False
    if not _DISPLAY.match(value[:lt]):
        return False
    inside = value[lt + 1 : gt]
    return bool(inside) and inside == inside.strip() and " " not in inside


def check_request(raw: bytes) -> Verdict | None:
    """(status code, reason) when the request must be refused, else None."""
    parts = split_head(raw)
    if parts is None:
        return None  # not our business: PJSIP already handles incomplete messages
    start, headers = parts
    match = _REQUEST_LINE.match(start)
    if match is None:
        return 400, "Bad Request-Line"
    method, uri, version = match.groups()
    if version != "SIP/2.0":
        return 505, "Version Not Supported"
    if uri.lower().startswith(("sip:", "sips:")) and "?" in uri.rsplit("@", 1)[-1]:
        # "?" may sit in the user part (RFC 4475 intmeth); after the host it starts headers,
        # which a Request-URI must not carry (RFC 3261 19.1.1, RFC 4475 escruri).
        return 400, "Headers In Request-URI"
    seen: dict[str, str] = {}
    for name, value in headers:
        if name in seen and name in SINGLE_VALUED:
            return 400, f"Duplicate {name}"
        seen.setdefault(name, value)
    declared = seen.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            return 400, "Bad Content-Length"
        body = len(raw) - raw.find(b"\r\n\r\n") - 4
        if int(declared) > body:  # a datagram shorter than it says (RFC 4475 clerr)
            return 400, "Content-Length Exceeds Message"
    cseq = seen.get("cseq", "").split()
    if len(cseq) == 2 and cseq[1] != method:
        return 400, "CSeq Method Mismatch"
    date = seen.get("date")
    if date is not None and not _DATE.match(date):
        return 400, "Bad Date"
    for name in ("from", "to"):
        if name in seen and not _name_addr_ok(seen[name]):
            return 400, f"Bad {name.capitalize()}"
    if method == "INVITE" and "accept" in seen:
        accepted = {t.split(";")[0].strip().lower() for t in seen["accept"].split(",")}
        if accepted and not accepted & {"application/sdp", "application/*", "*/*", ""}:
            return 406, "Not Acceptable"  # our 200 must carry SDP (RFC 4475 sdp01)
    if method not in ("ACK", "CANCEL") and "require" in seen:
        required = {opt.strip().lower() for opt in seen["require"].split(",") if opt.strip()}
        if required - SUPPORTED_EXTENSIONS:
            return 420, "Bad Extension"
    if method in SDP_METHODS:
        return check_body(raw, seen)
    return None


def message_body(raw: bytes, declared: str | None) -> bytes:
    """The body after the header block, cut at Content-Length when it is given."""
    end = raw.find(b"\r\n\r\n")
    body = raw[end + 4 :] if end >= 0 else b""
    if declared is not None and declared.isdigit():
        body = body[: int(declared)]
    return body


def check_body(raw: bytes, seen: dict[str, str]) -> Verdict | None:
    """The SDP a request may carry (offer or answer): only a plain, well-formed one passes.

    PJSIP also digs SDP out of multipart bodies; a caller has no need for them, so they are
    refused rather than validated part by part.
    """
    body = message_body(raw, seen.get("content-length"))
    if not body.strip():
        return None
    kind = seen.get("content-type", "application/sdp").split(";", 1)[0].strip().lower()
    if kind.startswith("multipart/"):
        return 415, "Multipart Body Not Accepted"
    if kind != "application/sdp":
        return None  # pjsua answers 415 itself and never parses it as SDP
    return check_sdp(body)
