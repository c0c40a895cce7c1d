"""Stateful refusals of hostile requests, decided before pjsua sees them (pure, clock injected).

``validate.py`` judges one message alone; this module remembers what a caller did before:

* toll fraud: a REFER out of dialog, or inside a call the agent answered, is refused (403) and
  an INVITE with ``Replaces`` (which would hand an existing call to whoever knows its dialog
  ids) too: the agent never originates a call because a caller asked;
* media redirection: a re-INVITE/UPDATE may not move a call's media to an address that was not
  in the call's first offer or its signalling source (hold, ``0.0.0.0``, stays allowed);
* ACK-less floods (``strike``/``flood_verdict``): a source whose answered INVITEs are never
  ACKed is refused for a while, and no source may hold more than a few unconfirmed calls, so a
  stream of forged INVITEs cannot take the four call slots from real callers.

Sources listed in ``trusted`` (the front proxy, a PBX) are exempt from the per-source limits
and the media-address check; they enforce their own.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict, deque
from dataclasses import dataclass

from ivr.sip.sdp import connection_hosts

Verdict = tuple[int, str]
HOLD_HOSTS = frozenset({"0.0.0.0", "::"})
DIALOG_MEMORY_COUNT = 1024  # call-ids remembered for the media check (oldest forgotten first)
SOURCE_MEMORY_COUNT = 4096  # sources remembered for the flood limits


@dataclass(frozen=True)
class ShieldLimits:
    """Per-source limits against INVITEs that are answered and never ACKed."""

    unconfirmed_per_source_count: int = 2  # answered-but-not-ACKed calls one source may hold
    strikes_count: int = 2  # never-ACKed calls within strike_window_s that get a source banned
    strike_window_s: float = 60.0
    ban_s: float = 60.0


def _networks(entries: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(e, strict=False) for e in entries]


class Shield:
    """One per SIP engine; called on the engine thread only (no locking needed)."""

    def __init__(self, limits: ShieldLimits | None = None, trusted: tuple[str, ...] = ()) -> None:
        self.limits = limits or ShieldLimits()
        self._trusted = _networks(trusted)
        self._dialogs: OrderedDict[str, frozenset[str]] = OrderedDict()
        self._unconfirmed: dict[str, set[str]] = {}
        self._strikes: OrderedDict[str, deque[float]] = OrderedDict()
        self._banned_until: dict[str, float] = {}

    def trusted(self, source_ip: str) -> bool:
        """True for sources the per-source limits do not apply to."""
        try:
            address = ipaddress.ip_address(source_ip)
        except ValueError:
            return False
        return any(address in net for net in self._trusted)

    # ----- per request ------------------------------------------------------------------------

    def check(self, method: str, headers: dict[str, str], body: bytes, source_ip: str,
              now: float) -> Verdict | None:
        """(code, reason) when the request must be refused, else None."""
        call_id = headers.get("call-id", "")
        in_dialog = ";tag=" in headers.get("to", "").replace(" ", "")
        if method == "REFER":
            if not in_dialog or call_id in self._dialogs:
                return 403, "Transfer Not Allowed"
            return None  # a call we placed (the test softphone): AgentCall decides
        if method == "INVITE" and "replaces" in headers:
            return 403, "Replaces Not Allowed"
        if method == "INVITE" and not in_dialog:
            verdict = self.flood_verdict(source_ip, now)
            if verdict is not None:
                return verdict
            self._remember(call_id, body, source_ip)
            return None
        if method in ("INVITE", "UPDATE") and in_dialog and body.strip():
            allowed = self._dialogs.get(call_id)
            if allowed is not None and not self.trusted(source_ip):
                moved = connection_hosts(body) - allowed - HOLD_HOSTS
                if moved:
                    return 488, "Media Address Change Refused"
        return None

    def _remember(self, call_id: str, body: bytes, source_ip: str) -> None:
        if not call_id:
            return
        self._dialogs[call_id] = frozenset(connection_hosts(body) | {source_ip.lower()})
        self._dialogs.move_to_end(call_id)
        while len(self._dialogs) > DIALOG_MEMORY_COUNT:
            self._dialogs.popitem(last=False)

    # ----- ACK-less floods --------------------------------------------------------------------

    def flood_verdict(self, source_ip: str, now: float) -> Verdict | None:
        """Refusal for a new INVITE from ``source_ip`` while it is banned or over its cap."""
        if not source_ip or self.trusted(source_ip):
            return None
        if self._banned_until.get(source_ip, 0.0) > now:
            return 403, "Too Many Unacknowledged Calls"
        self._banned_until.pop(source_ip, None)
        pending = self._unconfirmed.get(source_ip, ())
        if len(pending) >= self.limits.unconfirmed_per_source_count:
            return 486, "Busy Here"
        return None

    def answered(self, source_ip: str, call_key: str) -> None:
        """We sent 200 to a call from this source; it holds a slot until its ACK."""
        if source_ip and not self.trusted(source_ip):
            self._unconfirmed.setdefault(source_ip, set()).add(call_key)

    def confirmed(self, source_ip: str, call_key: str) -> None:
        """The call's ACK arrived (or it ended before the ACK watchdog fired)."""
        pending = self._unconfirmed.get(source_ip)
        if pending is not None:
            pending.discard(call_key)
            if not pending:
                del self._unconfirmed[source_ip]

    def strike(self, source_ip: str, call_key: str, now: float) -> bool:
        """A call from this source was answered and never ACKed; True when it is now banned.

        The call still counts as unconfirmed until it is gone (``confirmed`` on its end): pjsua
        keeps its slot until the INVITE transaction times out.
        """
        if not source_ip or self.trusted(source_ip):
            return False
        times = self._strikes.setdefault(source_ip, deque())
        self._strikes.move_to_end(source_ip)
        times.append(now)
        while times and times[0] < now - self.limits.strike_window_s:
            times.popleft()
        while len(self._strikes) > SOURCE_MEMORY_COUNT:
            self._strikes.popitem(last=False)
        if len(times) >= self.limits.strikes_count:
            self._banned_until[source_ip] = now + self.limits.ban_s
            times.clear()
            return True
        return False
