"""Strict checks of an SDP body (RFC 4566/8866) before PJSIP's parser and pjmedia see it.

PJSIP 2.15.1 aborts the whole process on an assertion (``pj_sockaddr_in_set_str_addr``:
``slen < 254``) when an SDP connection address (``c=``, at session or media level) or an
``a=rtcp:`` address is 254 characters or longer: one UDP INVITE, or a re-INVITE/UPDATE inside a
call, would drop every call of the process. So every address the media layer may resolve must be
a syntactically valid IPv4/IPv6 literal or host name (< 254 characters) before the request
goes on, and the body's shape (line lengths, number of media sections and attributes, ports) is
bounded. Pure text functions; ``guard.py`` answers the verdict.
"""

from __future__ import annotations

import ipaddress
import re

Verdict = tuple[int, str]

NOT_ACCEPTABLE = 488  # RFC 3261 21.4.26: the session description is not acceptable
MAX_LINE_LENGTH = 512  # longest legitimate lines (a=fmtp, a=rtpmap) are far shorter
MAX_MEDIA_COUNT = 8  # m= sections; a phone call needs one audio stream
MAX_ATTRIBUTE_COUNT = 64  # a= lines in the whole body
MAX_FORMAT_COUNT = 32  # payload types on one m= line
MAX_HOST_LENGTH = 253  # RFC 1035 FQDN limit; PJSIP asserts at 254
SDP_METHODS = frozenset({"INVITE", "UPDATE", "ACK", "PRACK"})

_LINE = re.compile(r"^([a-z])=(.*)$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`{|}~]+$")
_MEDIA = re.compile(r"^([A-Za-z0-9_-]+) (\d{1,5})(?:/(\d{1,2}))? (\S+)((?: \S+)*)$")
_PROTO = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*$")  # RTP/AVP, UDP/TLS/RTP/SAVPF
_RTCP = re.compile(r"^(\d{1,5})(?: IN (IP4|IP6) (\S+))?$")


def valid_host(text: str, addrtype: str) -> bool:
    """An IPv4/IPv6 literal of ``addrtype`` or a host name, shorter than 254 characters."""
    if not text or len(text) > MAX_HOST_LENGTH:
        return False
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        return address.version == (4 if addrtype == "IP4" else 6)
    if text[-1].isdigit() and addrtype == "IP4" and text.replace(".", "").isdigit():
        return False  # "1.2.3.999": looks like an IPv4 literal but is not one
    labels = text.rstrip(".").split(".")
    return all(_LABEL.match(label) for label in labels)


def _check_connection(value: str) -> str | None:
    """Problem with a c= value ("IN IP4 192.0.2.1"), or None."""
    parts = value.split(" ")
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        return "Bad Connection Line"
    address = parts[2]
    if parts[1] == "IP4" and "/" in address:
        address = address.split("/", 1)[0]  # multicast TTL suffix; the host part still counts
    if not valid_host(address, parts[1]):
        return "Bad Connection Address"
    return None


def _check_media(value: str) -> str | None:
    match = _MEDIA.match(value)
    if match is None:
        return "Bad Media Line"
    port, count, formats = int(match.group(2)), match.group(3), match.group(5).split()
    if port > 65535 or (count is not None and not 1 <= int(count) <= 2):
        return "Bad Media Port"
    if not formats or len(formats) > MAX_FORMAT_COUNT:
        return "Bad Media Formats"
    if not all(_TOKEN.match(f) for f in formats) or not _PROTO.match(match.group(4)):
        return "Bad Media Line"
    return None


def _check_attribute(value: str) -> str | None:
    name, _, rest = value.partition(":")
    if not _TOKEN.match(name):
        return "Bad Attribute"
    if name.lower() == "rtcp":  # RFC 3605: a=rtcp:port [IN IP4 addr]; pjmedia resolves it
        match = _RTCP.match(rest.strip())
        if match is None or int(match.group(1)) > 65535:
            return "Bad RTCP Attribute"
        if match.group(3) is not None and not valid_host(match.group(3), match.group(2)):
            return "Bad RTCP Address"
    return None


def check_sdp(body: bytes) -> Verdict | None:
    """(488, reason) when the SDP body must be refused, else None."""
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return NOT_ACCEPTABLE, "Non-ASCII SDP"
    lines = [line for line in text.replace("\r\n", "\n").split("\n") if line]
    if not lines or lines[0] != "v=0":
        return NOT_ACCEPTABLE, "SDP Must Start With v=0"
    media = attributes = 0
    for line in lines:
        if len(line) > MAX_LINE_LENGTH:
            return NOT_ACCEPTABLE, "SDP Line Too Long"
        if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in line):
            return NOT_ACCEPTABLE, "Control Character In SDP"
        match = _LINE.match(line)
        if match is None:
            return NOT_ACCEPTABLE, "Bad SDP Line"
        kind, value = match.groups()
        problem: str | None = None
        if kind == "c":
            problem = _check_connection(value)
        elif kind == "o":
            fields = value.split(" ")
            if len(fields) != 6 or len(fields[5]) > MAX_HOST_LENGTH:
                problem = "Bad Origin Line"
        elif kind == "m":
            media += 1
            problem = _check_media(value)
        elif kind == "a":
            attributes += 1
            problem = _check_attribute(value)
        if problem is not None:
            return NOT_ACCEPTABLE, problem
    if media > MAX_MEDIA_COUNT:
        return NOT_ACCEPTABLE, "Too Many Media Lines"
    if attributes > MAX_ATTRIBUTE_COUNT:
        return NOT_ACCEPTABLE, "Too Many SDP Attributes"
    return None


def connection_hosts(body: bytes) -> set[str]:
    """Every c= address of an SDP body (session and media level), lower-cased."""
    hosts = set()
    for line in body.decode("ascii", "replace").replace("\r\n", "\n").split("\n"):
        if line.startswith("c="):
            parts = line[2:].split(" ")
            if len(parts) == 3:
                hosts.add(parts[2].split("/", 1)[0].lower())
    return hosts
