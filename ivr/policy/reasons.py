"""Every way a call can end, and the standard phrase the caller hears before it."""

from __future__ import annotations

from ivr.config import Settings
from ivr.vocabulary import EndReason

# reason -> the phrase that must have finished before the hang-up (None: the caller is gone).
FINAL_PHRASE: dict[EndReason, str | None] = {
    "silent": "silent_final_notice",  # seed 000 第十六条 3
    "low_volume": "low_volume_call_again",  # seed 000 第十七条 6
    "noisy": "noisy_line",  # seed 000 第十七条 7
    "unintelligible": "dialect_final",  # seed 001 电话无法听清 4
    "harassment": "harassment_final",  # seed 001 特殊沟通内容 6
    "blacklisted": "harassment_final",  # a blacklisted caller, treatment "reject"
    "normal": "closing_goodbye",  # seed 001: 感谢您的来电,再见!
    "shutdown": "closing_goodbye",
    "max_duration": "closing_goodbye",
    "transferred": "transfer_notice",
    "caller_hangup": None,
}
REASONS = frozenset(FINAL_PHRASE)


def final_phrase(settings: Settings, reason: EndReason) -> str | None:
    """The phrase that ends a call for `reason` under these settings (seed 001 无声电话 adds
    "感谢您的来电,再见!" to the silent ladder when silent_call.goodbye_after_notice is on)."""
    if reason == "silent" and settings.silent_call.goodbye_after_notice:
        return "silent_goodbye"
    return FINAL_PHRASE[reason]
