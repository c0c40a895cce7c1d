"""Issue 11 item 4: a caller number never appears in full in a log line, whatever its form.

Before the fix ``mask_uri`` masked only a sip: user part: a display name that is the number, a
``tel:`` URI or a P-Asserted-Identity went to the log in clear.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rawsip import SipProbe
from test_sip_robustness import AGENT_SIP

from ivr.masking import escape_control, mask_number, mask_numbers_in
from ivr.sip.headers import mask_uri, uri_user
from ivr.sip.logsafe import wire_text

mobile = st.from_regex(r"1[3-9]\d{9}", fullmatch=True)
separator = st.sampled_from(["", " ", "-"])


def _spelled(number: str, sep: str, prefix: str) -> str:
    body = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    return prefix + body


forms = st.builds(
    lambda n, sep, prefix, template: (n, template.format(num=_spelled(n, sep, prefix),
                                                         bare=prefix + n)),
    mobile, separator, st.sampled_from(["", "+86", "+86 ", "0086", "86"]),
    st.sampled_from([
        '"{num}" <sip:{bare}@192.0.2.10>;tag=1',
        "{num} <sip:anonymous@192.0.2.10>",
        "<tel:{bare}>;tag=9",
        "tel:{bare};phone-context=+86",
        "<sip:{bare}@pbx.example.com;user=phone>",
        "sip:{bare}@192.0.2.10:5060",
        '"Zhang {num}" <sip:{bare}@h>',
        "Contact: <sip:{bare}@192.0.2.10:5062;transport=tcp>",
        "P-Asserted-Identity: <tel:{bare}>, <sip:{bare}@carrier.example>",
        "call from {num} ended",
    ]),
)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@given(forms)
def test_no_form_of_a_number_survives_masking(case: tuple[str, str]) -> None:
    number, text = case
    for masked in (mask_uri(text), mask_numbers_in(text), wire_text(text)):
        runs = re.findall(r"\d+", masked)  # no run long enough to hold the hidden middle
        assert max(map(len, runs)) <= 4, (text, masked)
        assert number[-4:] in masked  # enough left to tell calls apart


@given(st.text(max_size=80))
def test_masked_text_never_holds_a_control_character(text: str) -> None:
    for masked in (mask_uri(text), mask_numbers_in(text), mask_number(text), wire_text(text)):
        assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", masked), repr(masked)


def test_examples() -> None:
    assert mask_uri('"13812345678" <sip:13812345678@10.0.0.1>') == (
        '"138****5678" <sip:138****5678@10.0.0.1>')
    assert mask_uri("<tel:+8613812345678>") == "<tel:+86****5678>"
    assert uri_user("<tel:+8613812345678>;tag=1") == "+8613812345678"
    assert mask_numbers_in("from 192.0.2.10:5060 cseq 42") == "from 192.0.2.10:5060 cseq 42"
    assert escape_control("a\r\nb\x1b[2J") == "a\\x0d\\x0ab\\x1b[2J"


def test_agent_log_shows_no_full_number_for_any_header_form(start_agent) -> None:
    agent = start_agent(sip={**AGENT_SIP, "pjsip_log_level": 5, "unconfirmed_per_source_count": 9},
                        log_level="DEBUG")
    number = "13912345678"
    probe = SipProbe(agent.port)
    variants = [
        f'From: "{number}" <sip:{number}@127.0.0.1>;tag=a',
        f"From: <tel:+86{number}>;tag=b",
        f'From: "+86 139-1234-5678" <sip:+86{number}@127.0.0.1>;tag=c',
    ]
    for from_line in variants:
        raw = probe.request("INVITE", call_id=uuid.uuid4().hex, cseq=1, body=probe.sdp(),
                            extra=f"P-Asserted-Identity: <tel:+86{number}>\r\n"
                                  f"Remote-Party-ID: <sip:{number}@127.0.0.1>")
        text = re.sub(r"From: [^\r]*", from_line.replace("\\", "\\\\"), raw.decode(), count=1)
        text = text.replace("Contact: <sip:probe@", f"Contact: <sip:{number}@")
        probe.send(text.encode())
        assert any(r.code == 200 for r in probe.responses(1.0))
        agent.wait_for("incoming")
    probe.close()
    agent.stop()
    log = Path(agent.log.name).read_text(errors="replace")
    assert "INVITE" in log  # the agent did log these calls...
    assert number not in _digits_per_line(log), "full caller number in the agent log"
    assert "1234" not in log.replace("127.0.0.1", "")  # ...without the hidden middle digits


def _digits_per_line(log: str) -> str:
    return "\n".join(_digits(line) for line in log.splitlines())


@pytest.mark.parametrize("value", ["\u2028x", "\x85y"])
def test_unicode_line_breaks_are_escaped(value: str) -> None:
    assert "\\u2028" in escape_control("\u2028") and "\\x85" in escape_control("\x85")
    assert "\n" not in wire_text(value)
