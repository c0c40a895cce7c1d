"""Log-safe one-line descriptions of events and actions: no transcript, number or name."""

from __future__ import annotations

from dataclasses import fields as dc_fields

PRIVATE_FIELDS = frozenset(
    {
        "transcript",
        "caller",
        "text",
        "summary",
        "settings",
        "local_time",
        "context",
        "caller_surname",
        "caller_title",
    }
)
# A caller's name or a read-back phone number in a phrase's variables.
PRIVATE_VARS = frozenset({"surname", "title", "number"})
PRIVATE_TICKET_FIELDS = frozenset({"contact_number"})  # in UpdateTicket.fields


def describe(item: object) -> str:
    """A log-safe one-liner: private fields (transcripts, numbers, texts) are shown as lengths."""
    parts = []
    for f in dc_fields(item):  # type: ignore[arg-type]
        if f.name == "t":
            continue
        value = getattr(item, f.name)
        if f.name in PRIVATE_FIELDS:
            if isinstance(value, str) and value:
                parts.append(f"{f.name}=<{len(value)} chars>")
            continue
        if value in (None, "", {}, (), False) and f.name not in ("ok",):
            continue
        if isinstance(value, float):
            value = round(value, 2)
        if f.name == "vars" and isinstance(value, dict):
            value = {k: ("<private>" if k in PRIVATE_VARS else v) for k, v in value.items()}
        if f.name == "fields" and isinstance(value, dict):
            value = {k: ("<number>" if k in PRIVATE_TICKET_FIELDS else v)
                     for k, v in value.items()}
        parts.append(f"{f.name}={value}")
    return f"{type(item).__name__}({', '.join(parts)})"
