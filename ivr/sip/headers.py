"""Pure SIP text helpers: header parsing, REFER targets with embedded headers, masking.

No pjsua2 here, so these are tested directly.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from ivr.masking import mask_number, mask_numbers_in

# RFC 3261 compact header forms we may meet in an INVITE.
_COMPACT = {
    "f": "from",
    "t": "to",
    "i": "call-id",
    "m": "contact",
    "v": "via",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
    "s": "subject",
}
_URI_USER = re.compile(r"sips?:([^@;>]+)@")
_TEL_URI = re.compile(r"tel:([^;>\s]+)", re.IGNORECASE)
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!%*_+`'~.-]+$")


def wire_text(text: str) -> str:
    """Text from the wire made storable: bytes that were not UTF-8 reach Python as lone
    surrogates (surrogateescape), which no UTF-8 file, JSON timeline or database column takes;
    they become U+FFFD, so a hostile Call-ID or display name cannot cost the call its record."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # surrogates outside the escape range
        return text.encode("utf-8", "replace").decode("utf-8")


def parse_headers(message: str) -> dict[str, str]:
    """Header fields of a SIP message (names lower-cased, first value wins, folding joined),
    as storable text (see wire_text)."""
    head = wire_text(message).split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    lines = head.replace("\r\n", "\n").split("\n")[1:]
    result: dict[str, str] = {}
    last = ""
    for line in lines:
        if line[:1] in (" ", "\t") and last:
            result[last] = f"{result[last]} {line.strip()}"
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        key = _COMPACT.get(key, key)
        if key not in result:
            result[key] = value.strip()
            last = key
        else:
            last = ""
    return result


def uri_user(uri: str) -> str:
    """User part of a SIP URI or name-addr, or the number of a ``tel:`` URI ('' if none)."""
    match = _URI_USER.search(uri) or _TEL_URI.search(uri)
    return match.group(1) if match else ""


def mask_uri(uri: str) -> str:
    """A URI or name-addr safe to log: every number-like run masked, wherever it sits
    (display name, ``tel:``, user part, parameters), control characters escaped, the user part
    masked even when it is not a number."""
    user = uri_user(uri)
    if user and "@" in uri:
        uri = uri.replace(user + "@", mask_number(user) + "@", 1)
    return mask_numbers_in(uri)


def uui_hex(value: str | bytes) -> str:
    """RFC 7433 User-to-User value carrying ``value`` hex-encoded."""
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return f"{raw.hex()};encoding=hex"


def uui_decode(header_value: str) -> bytes:
    """Inverse of :func:`uui_hex` (also accepts the value without the encoding parameter)."""
    data = header_value.split(";", 1)[0].strip()
    return bytes.fromhex(data)


def refer_target(uri: str, headers: dict[str, str]) -> str:
    """Refer-To value: ``<sip:desk@host?X-Ticket-Id=..&User-to-User=..>`` (RFC 3261 19.1.1).

    The transferee copies these headers into its INVITE to the target (pjsua does), which is how
    the ticket id reaches the agent desk.
    """
    bare = uri.strip()
    if bare.startswith("<") and bare.endswith(">"):
        bare = bare[1:-1]
    if not bare.startswith(("sip:", "sips:")):
        raise ValueError(f"transfer target {uri!r} is not a sip: or sips: URI")
    if "?" in bare:
        raise ValueError(f"transfer target {uri!r} already carries URI headers")
    if not headers:
        return f"<{bare}>"
    parts = []
    for name, value in headers.items():
        if not _HEADER_NAME.match(name):
            raise ValueError(f"transfer header name {name!r} is not a SIP token")
        parts.append(f"{name}={quote(value, safe='')}")
    return f"<{bare}?{'&'.join(parts)}>"
