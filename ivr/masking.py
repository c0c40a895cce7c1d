"""One way to show a caller number in logs, listings and reports (seed 003 隐私保护)."""

from __future__ import annotations


def mask_number(number: str | None) -> str:
    """138****5678: enough to tell calls apart, not enough to call back.

    8+ characters keep the first 3 and the last 4; 3-7 characters keep only the last 2;
    shorter values are masked whole.
    """
    text = (number or "").strip()
    if len(text) >= 8:
        return text[:3] + "****" + text[-4:]
    if len(text) >= 3:
        return "*" * (len(text) - 2) + text[-2:]
    return "*" * len(text)


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
