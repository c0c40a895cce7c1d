"""Queue-wait apology (seed 000 第十六条 4; seed 001 用户抱怨和投诉 1).

Answered after three rings ("电话铃响三声后才接起") -> "对不起,刚才因为线路忙,让您久等了!…"
instead of the plain greeting. Three rings = greeting.queue_apology_rings_count x ring_cycle_s.
"""

from __future__ import annotations

from ivr.config import Settings


def waited_too_long(settings: Settings, ring_s: float) -> bool:
    return ring_s >= settings.greeting.queue_apology_after_s
