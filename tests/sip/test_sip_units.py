"""Pure parts of the SIP layer: config, headers, player, request validation, ByteVector reads."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.sip.config import SipConfig, SipConfigError
from ivr.sip.guard import request_method
from ivr.sip.headers import (
    mask_number,
    mask_uri,
    parse_headers,
    refer_target,
    uri_user,
    uui_decode,
    uui_hex,
)
from ivr.sip.player import FramePlayer
from ivr.sip.types import Reject
from ivr.sip.validate import check_request

TORTURE = Path("/work/shared/rfc4475")


# ----- config ---------------------------------------------------------------------------------

def test_config_defaults_and_derived_values() -> None:
    cfg = SipConfig()
    assert (cfg.bind_address, cfg.port, cfg.transports) == ("127.0.0.1", 5060, ("udp", "tcp"))
    assert cfg.max_calls_count == 4 and cfg.password_env == "IVR_SIP_PASSWORD"
    assert cfg.samples_per_frame == 160 and cfg.bytes_per_frame == 320
    assert cfg.effective_domain == "127.0.0.1" and cfg.effective_tls_port == 5061
    assert SipConfig(registrar="sip:pbx.example.com;transport=tcp").effective_domain == \
        "pbx.example.com"
    assert SipConfig(clock_rate_hz=16000).bytes_per_frame == 640
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"bind_address": "localhost"}, ["sip.bind_address", "'localhost'"]),
        ({"port": 70000}, ["sip.port", "70000", "0..65535"]),
        ({"transports": ("udp", "sctp")}, ["sip.transports", "'sctp'", "udp, tcp, tls"]),
        ({"transports": ("tls",)}, ["tls_cert_file"]),
        ({"registrar": "pbx.example.com"}, ["sip.registrar", "sip: or sips:"]),
        ({"clock_rate_hz": 44100}, ["sip.clock_rate_hz", "44100", "8000"]),
        ({"frame_ms": 25}, ["sip.frame_ms", "25"]),
        ({"ack_timeout_s": 0.0}, ["sip.ack_timeout_s", "0.5..32.0"]),
        ({"codecs": ("PCMU",)}, ["sip.codecs", "PCMU/8000"]),
        ({"user": "a b"}, ["sip.user"]),
    ],
)
def test_config_errors_name_key_value_and_range(changes: dict, words: list[str]) -> None:
    with pytest.raises(SipConfigError) as err:
        SipConfig(**changes)
    for word in words:
        assert word in str(err.value)


def test_config_from_the_settings_section() -> None:
    from types import SimpleNamespace

    section = SimpleNamespace(bind_address="127.0.0.1", port=5060, transports=["udp"],
                              codecs=["PCMA/8000"], drain_timeout_s=30.0, user="ivr")
    cfg = SipConfig.from_section(section, port=5099)
    assert (cfg.port, cfg.transports, cfg.codecs) == (5099, ("udp",), ("PCMA/8000",))
    try:
        from ivr.config import load_settings
    except ImportError:
        return
    settings = load_settings(None)
    assert SipConfig.from_section(settings.sip).codecs[0] == "PCMU/8000"


def test_reject_codes_are_final_error_codes() -> None:
    assert Reject(403, "Forbidden").code == 403
    with pytest.raises(ValueError, match=r"300\.\.699"):
        Reject(200, "OK")


# ----- headers --------------------------------------------------------------------------------

def test_parse_headers_handles_compact_forms_folding_and_case() -> None:
    message = (
        "INVITE sip:ivr@127.0.0.1 SIP/2.0\r\n"
        "f: \"Caller\" <sip:13812345678@example.com>;tag=1\r\n"
        "TO : <sip:ivr@127.0.0.1>\r\n"
        "X-Ticket-Id: T-1\r\n"
        "Subject: first\r\n line\r\n"
        "Subject: second\r\n"
        "\r\n"
        "v=0\r\nX-Not-A-Header: body\r\n"
    )
    headers = parse_headers(message)
    assert headers["from"].startswith('"Caller"')
    assert headers["to"] == "<sip:ivr@127.0.0.1>"
    assert headers["x-ticket-id"] == "T-1"
    assert headers["subject"] == "first line"
    assert "x-not-a-header" not in headers


def test_masking_never_shows_the_whole_number() -> None:
    assert mask_number("13812345678") == "138****5678"
    assert mask_number("1234") == "**34"
    uri = "<sip:13812345678@example.com>;tag=9"
    assert uri_user(uri) == "13812345678"
    masked = mask_uri(uri)
    assert "13812345678" not in masked and "138****5678@example.com" in masked


@given(st.text(min_size=0, max_size=40))
@settings(max_examples=60, deadline=None)
def test_uui_round_trip(value: str) -> None:
    encoded = uui_hex(value)
    assert encoded.endswith(";encoding=hex")
    assert uui_decode(encoded).decode("utf-8") == value


def test_refer_target_escapes_header_values() -> None:
    target = refer_target("sip:desk@10.0.0.2:5070",
                          {"X-Ticket-Id": "T 1&2", "User-to-User": uui_hex("T1")})
    assert target == ("<sip:desk@10.0.0.2:5070?X-Ticket-Id=T%201%262&"
                      "User-to-User=5431%3Bencoding%3Dhex>")
    assert refer_target("<sip:desk@h>", {}) == "<sip:desk@h>"
    with pytest.raises(ValueError, match="not a sip"):
        refer_target("tel:+123", {})
    with pytest.raises(ValueError, match="SIP token"):
        refer_target("sip:desk@h", {"Bad Header": "x"})


# ----- player ---------------------------------------------------------------------------------

def _pcm(n_samples: int, value: int) -> bytes:
    return int(value).to_bytes(2, "little", signed=True) * n_samples


def test_player_is_frame_accurate_and_reports_completion() -> None:
    done: list[tuple] = []
    player = FramePlayer(320, lambda tag, t, ok: done.append((tag, t, ok)))
    assert player.next_frame() == bytes(320) and not player.is_playing
    player.play(_pcm(160 * 2 + 10, 7), "a")  # 2 frames + 10 samples
    player.play(_pcm(160, 9), "b")
    assert player.is_playing
    frames = [player.next_frame() for _ in range(5)]
    assert frames[0] == frames[1] == _pcm(160, 7)
    assert frames[2] == _pcm(10, 7) + bytes(300)  # padded: "b" starts on a frame boundary
    assert frames[3] == _pcm(160, 9)
    assert frames[4] == bytes(320)
    assert done == [("a", 4, True), ("b", 5, True)]
    assert player.t_frames == 6  # one idle frame, then five


def test_player_stop_is_barge_in() -> None:
    done: list[tuple] = []
    player = FramePlayer(320, lambda tag, t, ok: done.append((tag, t, ok)))
    player.play(_pcm(1600, 1), "long")
    player.play(_pcm(160, 2), "next")
    player.next_frame()
    assert player.stop() == ["long", "next"]
    assert done == [("long", 1, False), ("next", 1, False)]
    assert player.next_frame() == bytes(320) and not player.is_playing
    with pytest.raises(ValueError):
        player.play(b"\x00", "odd")


def test_player_survives_concurrent_play_and_drain() -> None:
    player = FramePlayer(320)
    stop = threading.Event()

    def feed() -> None:
        while not stop.is_set():
            player.play(_pcm(160, 3), None)

    thread = threading.Thread(target=feed)
    thread.start()
    frames = [player.next_frame() for _ in range(2000)]
    stop.set()
    thread.join()
    assert all(len(f) == 320 for f in frames)
    assert all(f in (_pcm(160, 3), bytes(320)) for f in frames)


# ----- request validation (guard) ------------------------------------------------------------

def test_request_method_from_pjsip_info() -> None:
    assert request_method(b"Request msg SUBSCRIBE/cseq=12 (rdata0x1)") == b"SUBSCRIBE"
    assert request_method(b"Response msg 200/INVITE/cseq=1 (rdata0x1)") == b""


GOOD = (b"INVITE sip:ivr@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK1\r\n"
        b"From: \"Zhang, San\" <sip:13812345678@127.0.0.1>;tag=1\r\nTo: <sip:ivr@127.0.0.1>\r\n"
        b"Call-ID: a@b\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
        b"Date: Sat, 13 Nov 2010 23:29:00 GMT\r\nRequire: timer\r\nContent-Length: 4\r\n\r\nv=0\n")


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        (b"INVITE sip:ivr@127.0.0.1 SIP/2.0", b"INVITE  sip:ivr@127.0.0.1 SIP/2.0", 400),
        (b"INVITE sip:ivr@127.0.0.1 SIP/2.0", b"INVITE sip:ivr@127.0.0.1 SIP/2.0 ", 400),
        (b"INVITE sip:ivr@127.0.0.1 SIP/2.0", b"INVITE sip:ivr@127.0.0.1 SIP/7.0", 505),
        (b"INVITE sip:ivr@127.0.0.1 SIP/2.0", b"INVITE sip:ivr@127.0.0.1?Route=%3Csip:x%3E SIP/2.0",
         400),
        (b"\"Zhang, San\" <sip:", b"Zhang, San <sip:", 400),
        (b"To: <sip:ivr@127.0.0.1>", b"To: < sip:ivr@127.0.0.1 >", 400),
        (b"GMT", b"EST", 400),
        (b"CSeq: 1 INVITE", b"CSeq: 1 OPTIONS", 400),
        (b"Max-Forwards: 70\r\n", b"Max-Forwards: 70\r\nMax-Forwards: 69\r\n", 400),
        (b"Content-Length: 4", b"Content-Length: 40", 400),
        (b"Content-Length: 4", b"Content-Length: -4", 400),
        (b"Require: timer", b"Require: timer, nothingSupportsThis", 420),
        (b"Require: timer", b"Accept: text/nobodyKnowsThis", 406),
    ],
)
def test_check_request_refuses_rfc4475_style_faults(old: bytes, new: bytes, code: int) -> None:
    assert check_request(GOOD) is None
    assert GOOD.count(old) == 1
    verdict = check_request(GOOD.replace(old, new))
    assert verdict is not None and verdict[0] == code


def test_check_request_accepts_sdp_in_accept_lists() -> None:
    assert check_request(GOOD.replace(b"Require: timer", b"Accept: application/sdp, text/x")) \
        is None


@pytest.mark.skipif(not TORTURE.exists(), reason="no RFC 4475 messages")
def test_check_request_passes_the_rfc4475_valid_requests() -> None:
    for name in ("wsinv", "intmeth", "esc01", "esc02", "escnull", "lwsdisp", "longreq",
                 "semiuri", "transports", "mpart01", "inv2543", "novelsc", "cparam01"):
        assert check_request((TORTURE / f"{name}.dat").read_bytes()) is None, name


# ----- fast ByteVector access ----------------------------------------------------------------

@given(st.binary(min_size=0, max_size=2000))
@settings(max_examples=80, deadline=None)
def test_fast_read_equals_swig_bytes(data: bytes) -> None:
    pj = pytest.importorskip("pjsua2")
    from ivr.sip.fastbuf import read_bytes, write_bytes

    vec = pj.ByteVector(data)
    assert read_bytes(vec) == bytes(vec) == data
    if data:
        flipped = bytes(b ^ 0xFF for b in data)
        write_bytes(vec, flipped)
        assert bytes(vec) == flipped
    with pytest.raises(ValueError):
        write_bytes(vec, data + b"x")


def test_headers_from_invalid_utf8_on_the_wire_are_storable_text() -> None:
    """A PROTOS INVITE with bytes that are not UTF-8 in its Call-ID reached the call record and
    the timeline as lone surrogates: the JSON timeline write raised UnicodeEncodeError and the
    call record was not stored. What the parser hands on must encode as UTF-8."""
    import json

    from ivr.sip.headers import parse_headers

    raw = (b"INVITE sip:ivr@127.0.0.1 SIP/2.0\r\nCall-ID: ab\xff\xfe\xc3cd@host\r\n"
           b"From: \"\xe4\xb8\xad\xff\" <sip:1380000@127.0.0.1>;tag=1\r\n\r\n")
    message = raw.decode("utf-8", "surrogateescape")  # how str() of the SWIG string arrives
    headers = parse_headers(message)
    for value in headers.values():
        value.encode("utf-8")
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    assert headers["call-id"].startswith("ab") and headers["call-id"].endswith("cd@host")
    assert "中" in headers["from"]
