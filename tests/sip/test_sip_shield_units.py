"""Pure checks of ivr.sip.shield: toll-fraud refusals, media moves, ACK-less flood limits."""

from __future__ import annotations

from hostile import sdp

from ivr.sip.shield import Shield, ShieldLimits, via_client

FIRST = {"call-id": "c1", "to": "<sip:ivr@h>"}
IN_DIALOG = {"call-id": "c1", "to": "<sip:ivr@h>;tag=x"}


def test_refer_is_refused_out_of_dialog_and_in_calls_we_answered() -> None:
    shield = Shield()
    assert shield.check("REFER", {"call-id": "zz", "to": "<sip:ivr@h>"}, b"", "192.0.2.1",
                        0.0) == (403, "Transfer Not Allowed")
    assert shield.check("INVITE", FIRST, sdp().encode(), "192.0.2.1", 0.0) is None
    assert shield.check("REFER", IN_DIALOG, b"", "192.0.2.1", 0.0) == (403,
                                                                       "Transfer Not Allowed")
    # A REFER in a call we placed (the test softphone) is left to the call object.
    assert shield.check("REFER", {"call-id": "ours", "to": "<x>;tag=1"}, b"", "h", 0.0) is None


def test_replaces_and_media_moves_are_refused() -> None:
    shield = Shield()
    assert shield.check("INVITE", {**FIRST, "replaces": "a;to-tag=b;from-tag=c"}, b"",
                        "192.0.2.1", 0.0) == (403, "Replaces Not Allowed")
    assert shield.check("INVITE", FIRST, sdp("192.0.2.7").encode(), "192.0.2.1", 0.0) is None
    for host in ("192.0.2.7", "192.0.2.1", "0.0.0.0"):  # offer's, signalling's, hold
        assert shield.check("INVITE", IN_DIALOG, sdp(session_c=host).encode(), "192.0.2.1",
                            1.0) is None
    assert shield.check("UPDATE", IN_DIALOG, sdp(media_c="198.51.100.9").encode(),
                        "192.0.2.1", 1.0) == (488, "Media Address Change Refused")
    trusting = Shield(trusted=("192.0.2.0/24",))
    trusting.check("INVITE", FIRST, sdp("192.0.2.7").encode(), "192.0.2.1", 0.0)
    assert trusting.check("INVITE", IN_DIALOG, sdp(session_c="198.51.100.9").encode(),
                          "192.0.2.1", 1.0) is None  # a PBX moving media is its business


def _invite(shield: Shield, call_id: str, source: str, now: float,
            vias: list[str] | None = None):
    return shield.check("INVITE", {"call-id": call_id, "to": "<sip:ivr@h>"}, b"", source,
                        now, vias)


def test_unconfirmed_cap_strikes_and_ban() -> None:
    shield = Shield(ShieldLimits(unconfirmed_per_source_count=2, strikes_count=2,
                                 strike_window_s=60.0, ban_s=30.0))
    for n in (1, 2):
        assert _invite(shield, f"a{n}", "192.0.2.1", 0.0) is None
        shield.answered(f"a{n}")
    assert _invite(shield, "a3", "192.0.2.1", 0.1) == (486, "Busy Here")
    assert _invite(shield, "b1", "192.0.2.2", 0.1) is None  # another source is not affected
    assert shield.strike("a1", 4.0) == ""
    assert shield.strike("a2", 4.0) == "192.0.2.1"
    shield.confirmed("a1")
    shield.confirmed("a2")
    assert _invite(shield, "a4", "192.0.2.1", 20.0) == (403, "Too Many Unacknowledged Calls")
    assert _invite(shield, "a5", "192.0.2.1", 34.1) is None  # the ban ends


def test_a_confirmed_call_frees_its_place() -> None:
    shield = Shield(ShieldLimits(unconfirmed_per_source_count=1))
    assert _invite(shield, "a1", "192.0.2.1", 0.0) is None
    shield.answered("a1")
    assert _invite(shield, "a2", "192.0.2.1", 0.0) == (486, "Busy Here")
    shield.confirmed("a1")
    assert _invite(shield, "a3", "192.0.2.1", 0.0) is None


def test_behind_a_trusted_proxy_the_client_is_limited_not_the_proxy() -> None:
    shield = Shield(ShieldLimits(unconfirmed_per_source_count=1), trusted=("10.0.0.1",))
    vias = ["SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKp",
            "SIP/2.0/UDP 192.0.2.50:5060;rport=5060;received=198.51.100.4;branch=z9hG4bKc"]
    assert _invite(shield, "x1", "10.0.0.1", 0.0, vias) is None
    shield.answered("x1")
    assert _invite(shield, "x2", "10.0.0.1", 0.0, vias) == (486, "Busy Here")
    other = [vias[0], "SIP/2.0/UDP 203.0.113.8:5060;branch=z9hG4bKd"]
    assert _invite(shield, "y1", "10.0.0.1", 0.0, other) is None
    # A B2BUA PBX (one Via) is trusted and not limited.
    for n in range(5):
        assert _invite(shield, f"p{n}", "10.0.0.1", 0.0, [vias[0]]) is None
        shield.answered(f"p{n}")


def test_via_client() -> None:
    assert via_client(["SIP/2.0/UDP a;branch=1, SIP/2.0/TCP 192.0.2.9:5060;branch=2"]) == (
        "192.0.2.9")
    assert via_client(["SIP/2.0/UDP a", "SIP/2.0/UDP h.example;received=192.0.2.3"]) == (
        "192.0.2.3")
    assert via_client(["SIP/2.0/UDP a", "SIP/2.0/UDP [2001:db8::5]:5060"]) == "2001:db8::5"
    assert via_client(["SIP/2.0/UDP a"]) == ""
    assert via_client(["SIP/2.0/UDP a", "SIP/2.0/UDP not-an-ip"]) == ""


def test_tcp_guard_picks_idle_and_excess_connections() -> None:
    from ivr.sip.tcpguard import to_close

    conns = {("192.0.2.1", p): 0.0 for p in range(1000, 1012)}  # 12 from one source
    conns[("192.0.2.2", 5)] = 9.5
    conns[("10.0.0.1", 7)] = 0.0  # a trusted front, idle
    busy = {("192.0.2.1", 1000)}  # carries a call
    closing = to_close(conns, busy, now=5.0, idle_timeout_s=10.0, per_source_count=8,
                       trusted=lambda ip: ip == "10.0.0.1")
    assert ("192.0.2.1", 1000) not in closing
    assert len([p for p in closing if p[0] == "192.0.2.1"]) == 11 - 8
    assert ("192.0.2.2", 5) not in closing and ("10.0.0.1", 7) not in closing
    later = to_close(conns, busy, now=10.0, idle_timeout_s=10.0, per_source_count=8,
                     trusted=lambda ip: ip == "10.0.0.1")
    assert ("10.0.0.1", 7) in later and ("192.0.2.2", 5) not in later  # idle for everyone
    assert len(later) == 12  # the busy one stays


def test_call_setups_are_limited_per_window_for_everyone() -> None:
    from ivr.sip.shield import CALL_SETUP_MAX_COUNT, CALL_SETUP_WINDOW_S

    shield = Shield(trusted=("10.0.0.1",))
    verdicts = [_invite(shield, f"s{n}", "10.0.0.1", 0.01 * n) for n in range(40)]
    assert verdicts[:CALL_SETUP_MAX_COUNT] == [None] * CALL_SETUP_MAX_COUNT
    assert verdicts[CALL_SETUP_MAX_COUNT] == (503, "Call Setup Rate Exceeded")
    assert _invite(shield, "later", "10.0.0.1", CALL_SETUP_WINDOW_S + 0.5) is None
