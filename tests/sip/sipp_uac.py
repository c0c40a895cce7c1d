"""sipp caller scenarios from one INVITE / 200 / ACK / ... / BYE skeleton.

Tests (tests/sip/test_sip_slot_reuse.py) and bench/latency.py both place calls with sipp that
differ only in the offered codecs and what the caller does between ACK and BYE (a pause, pcap
audio, RFC 2833 digits), so the SIP text is written once, here. Plain text, no pytest: the
bench imports it too.
"""

from __future__ import annotations

from collections.abc import Sequence

PCMU = ("0", ("a=rtpmap:0 PCMU/8000",))
PCMA_AND_DTMF = ("8 101", ("a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000",
                           "a=fmtp:101 0-15"))

_DIALOG = """From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>{to_tag}
Call-ID: [call_id]
CSeq: {cseq}
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70"""


def _request(method: str, cseq: str, to_tag: str, tail: str) -> str:
    return (f"{method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0\n"
            "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]\n"
            + _DIALOG.format(to_tag=to_tag, cseq=cseq) + "\n" + tail)


def pause(ms: int) -> str:
    return f'  <pause milliseconds="{ms}"/>'


def play_pcap(path: str) -> str:
    return f'  <nop><action><exec play_pcap_audio="{path}"/></action></nop>'


def uac_scenario(name: str, steps: Sequence[str],
                 codecs: tuple[str, Sequence[str]] = PCMU,
                 bye_answer_optional: bool = False) -> str:
    """A caller: INVITE offering `codecs` (payload types, a= lines), ACK, the `steps` (XML
    lines: `pause`, `play_pcap`), BYE and its 200 (optional: the agent may have hung up)."""
    payload_types, attributes = codecs
    sdp = "\n".join([
        "v=0",
        "o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]",
        "s=-",
        "c=IN IP[media_ip_type] [media_ip]",
        "t=0 0",
        f"m=audio [media_port] RTP/AVP {payload_types}",
        *attributes,
    ])
    invite = _request("INVITE", "1 INVITE", "",
                      "Content-Type: application/sdp\nContent-Length: [len]\n\n" + sdp + "\n")
    ack = _request("ACK", "1 ACK", "[peer_tag_param]", "Content-Length: 0\n\n")
    bye = _request("BYE", "2 BYE", "[peer_tag_param]", "Content-Length: 0\n\n")
    optional = ' optional="true"' if bye_answer_optional else ""
    return "\n".join([
        '<?xml version="1.0" encoding="ISO-8859-1" ?>',
        f'<scenario name="{name}">',
        f'  <send retrans="500"><![CDATA[\n{invite}]]></send>',
        '  <recv response="100" optional="true"/>',
        '  <recv response="180" optional="true"/>',
        '  <recv response="200" rtd="true"/>',
        f"  <send><![CDATA[\n{ack}]]></send>",
        *steps,
        f'  <send retrans="500"><![CDATA[\n{bye}]]></send>',
        f'  <recv response="200" crlf="true"{optional}/>',
        "</scenario>",
        "",
    ])
