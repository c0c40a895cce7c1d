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

Sources listed in ``trusted`` (the front proxy, a PBX) are exempt from the media-address check
and are not limited themselves. Behind a trusted proxy (two or more Vias) the limits apply to
the client the proxy names in the next Via (its ``received`` address, else its host): a caller
flooding through Kamailio is refused alone, not everyone behind the front. A B2BUA PBX (one
Via) is not limited at all: it must do its own.
"""

from __future__ import annotations

import ipaddress
import re
from collections import OrderedDict, deque
from dataclasses import dataclass

from ivr.sip.sdp import connection_hosts

Verdict = tuple[int, str]
HOLD_HOSTS = frozenset({"0.0.0.0", "::"})
DIALOG_MEMORY_COUNT = 1024  # call-ids remembered for the media check (oldest forgotten first)
SOURCE_MEMORY_COUNT = 4096  # sources remembered for the flood limits
# pjmedia's ioqueue holds 64 sockets and keeps a closed one for 500 ms before reuse (PJSIP
# 2.15.1, PJ_IOQUEUE_KEY_FREE_DELAY); running out aborts the process on an assertion. Each new
# call opens two (RTP, RTCP), so new calls of all sources together are limited per window.
CALL_SETUP_WINDOW_S = 0.6
CALL_SETUP_MAX_COUNT = 16
_VIA_HOST = re.compile(r"^\s*SIP/2\.0/[A-Za-z]+\s+(\[[^\]]+\]|[^:;\s]+)")
_RECEIVED = re.compile(r";\s*received=([^;\s,]+)", re.IGNORECASE)


def via_client(vias: list[str]) -> str:
    """The client a proxy forwarded for: received= or host of the second Via ('' if none)."""
    values = [v.strip() for value in vias for v in value.split(",") if v.strip()]
    if len(values) < 2:
        return ""
    match = _RECEIVED.search(values[1]) or _VIA_HOST.match(values[1])
    host = match.group(1).strip("[]") if match else ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return ""


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
        self._clients: OrderedDict[str, str] = OrderedDict()  # call-id -> limited client
        self._unconfirmed: dict[str, set[str]] = {}
        self._strikes: OrderedDict[str, deque[float]] = OrderedDict()
        self._banned_until: dict[str, float] = {}
        self._setups: deque[float] = deque()

    def trusted(self, source_ip: str) -> bool:
        """True for sources the per-source limits do not apply to."""
        try:
            address = ipaddress.ip_address(source_ip)
        except ValueError:
            return False
        return any(address in net for net in self._trusted)

    # ----- per request ------------------------------------------------------------------------

    def client_of(self, source_ip: str, vias: list[str]) -> str:
        """Whom the per-source limits count a request against ('' = nobody: trusted)."""
        if not self.trusted(source_ip):
            return source_ip
        client = via_client(vias)
        return "" if not client or self.trusted(client) else client

    def check(self, method: str, headers: dict[str, str], body: bytes, source_ip: str,
              now: float, vias: list[str] | None = None) -> Verdict | None:
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
            client = self.client_of(source_ip, vias or [])
            verdict = self.flood_verdict(client, now) or self.setup_verdict(now)
            if verdict is not None:
                return verdict
            self._remember(call_id, body, source_ip, client)
            return None
        if method in ("INVITE", "UPDATE") and in_dialog and body.strip():
            allowed = self._dialogs.get(call_id)
            if allowed is not None and not self.trusted(source_ip):
                moved = connection_hosts(body) - allowed - HOLD_HOSTS
                if moved:
                    return 488, "Media Address Change Refused"
        return None

    def _remember(self, call_id: str, body: bytes, source_ip: str, client: str) -> None:
        if not call_id:
            return
        self._dialogs[call_id] = frozenset(connection_hosts(body) | {source_ip.lower()})
        self._dialogs.move_to_end(call_id)
        self._clients[call_id] = client
        self._clients.move_to_end(call_id)
        for memory in (self._dialogs, self._clients):
            while len(memory) > DIALOG_MEMORY_COUNT:
                memory.popitem(last=False)

    # ----- ACK-less floods --------------------------------------------------------------------

    def setup_verdict(self, now: float) -> Verdict | None:
        """503 while CALL_SETUP_MAX_COUNT INVITEs were let through within the last window."""
        while self._setups and self._setups[0] <= now - CALL_SETUP_WINDOW_S:
            self._setups.popleft()
        if len(self._setups) >= CALL_SETUP_MAX_COUNT:
            return 503, "Call Setup Rate Exceeded"
        self._setups.append(now)
        return None

    def flood_verdict(self, client: str, now: float) -> Verdict | None:
        """Refusal for a new INVITE counted against ``client`` while it is banned or full."""
        if not client:
            return None
        if self._banned_until.get(client, 0.0) > now:
            return 403, "Too Many Unacknowledged Calls"
        self._banned_until.pop(client, None)
        if len(self._unconfirmed.get(client, ())) >= self.limits.unconfirmed_per_source_count:
            return 486, "Busy Here"
        return None

    def answered(self, call_id: str) -> None:
        """We sent 200 to this call: it holds a slot for its client until its ACK."""
        client = self._clients.get(call_id, "")
        if client:
            self._unconfirmed.setdefault(client, set()).add(call_id)

    def confirmed(self, call_id: str) -> None:
        """The call's ACK arrived, or it is gone: it no longer counts against its client."""
        client = self._clients.get(call_id, "")
        pending = self._unconfirmed.get(client)
        if pending is not None:
            pending.discard(call_id)
            if not pending:
                del self._unconfirmed[client]

    def strike(self, call_id: str, now: float) -> str:
        """The call was answered and never ACKed; returns its client if now banned, else ''.

        The call still counts as unconfirmed until ``confirmed``: pjsua keeps its slot until
        the INVITE transaction times out.
        """
        client = self._clients.get(call_id, "")
        if not client:
            return ""
        times = self._strikes.setdefault(client, deque())
        self._strikes.move_to_end(client)
        times.append(now)
        while times and times[0] < now - self.limits.strike_window_s:
            times.popleft()
        while len(self._strikes) > SOURCE_MEMORY_COUNT:
            self._strikes.popitem(last=False)
        if len(times) >= self.limits.strikes_count:
            self._banned_until[client] = now + self.limits.ban_s
            times.clear()
            return client
        return ""
