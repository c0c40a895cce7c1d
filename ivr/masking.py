"""One way to show a caller number in logs, listings and reports (seed 003 隐私保护).

Everything here may be fed text from the wire (a From header, a display name, a PJSIP log
line), so the results are also safe to log: control characters never come out raw.
"""

from __future__ import annotations

import re

# A phone number as people and UAs write it: optional "+", digits, spaces, hyphens, brackets.
# Dots are not separators here, so IP addresses ("192.0.2.10") are left alone.
_NUMBER_RUN = re.compile(r"\+?\d(?:[\d\- ()]*\d)?")
MIN_NUMBER_DIGITS = 6  # shorter digit runs (ports, CSeq, short extensions) are not numbers
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_control(text: str) -> str:
    """``text`` with every control character (CR, LF, ESC, DEL, C1...) written as \\xNN.

    A newline from the wire would otherwise start a forged log line, and ESC sequences would
    drive the terminal of whoever reads the log.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def mask_number(number: str | None) -> str:
    """138****5678: enough to tell calls apart, not enough to call back.

    8+ characters keep the first 3 and the last 4; 3-7 characters keep only the last 2;
    shorter values are masked whole.
    """
    text = escape_control((number or "").strip())
    if len(text) >= 8:
        return text[:3] + "****" + text[-4:]
    if len(text) >= 3:
        return "*" * (len(text) - 2) + text[-2:]
    return "*" * len(text)


def mask_numbers_in(text: str) -> str:
    """``text`` with every phone-number-like run masked, wherever it sits.

    Covers a display name that is the number, ``tel:`` URIs, user parts with ``+86``, numbers
    written with spaces or hyphens, Contact and P-Asserted-Identity values, free log text.
    """

    def mask(match: re.Match[str]) -> str:
        run = match.group()
        digits = re.sub(r"[^\d+]", "", run)
        if sum(c.isdigit() for c in digits) < MIN_NUMBER_DIGITS:
            return run
        return mask_number(digits)

    return _NUMBER_RUN.sub(mask, escape_control(text))


def mask_url(url: str) -> str:
    """A URL with its password replaced by ***, for every output (logs, `config show`, demo).

    postgresql+psycopg://ivr:secret@db:5432/tickets -> postgresql+psycopg://ivr:***@db:5432/tickets
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    creds, host = authority.rsplit("@", 1)
    user, has_password, _ = creds.partition(":")
    if not has_password:
        return url
    return f"{scheme}://{user}:***@{host}{slash}{path}"
