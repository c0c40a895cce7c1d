"""Where RTP goes (pure): sip.media_address / public_address / rtp_port_min..max in the SIP
layer's config, the [sip] settings, and each worker's share when `ivr serve --workers N` runs
behind the front. The cross-host behaviour itself is tested in tests/net."""

from __future__ import annotations

import argparse

import pytest

from ivr.config import ConfigError, load_settings
from ivr.scale.supervisor import ScaleError
from ivr.serve_plan import serve_worker_argv, worker_media_argv, worker_rtp_range
from ivr.sip.config import SipConfig, SipConfigError


def test_media_defaults_to_the_sip_address_and_public_address_wins_in_sdp():
    plain = SipConfig(bind_address="10.0.0.5")
    assert plain.effective_media_address == plain.advertised_media_address == "10.0.0.5"
    nat = SipConfig(bind_address="127.0.0.1", media_address="10.0.0.5",
                    public_address="203.0.113.7")
    assert nat.effective_media_address == "10.0.0.5"
    assert nat.advertised_media_address == "203.0.113.7"


@pytest.mark.parametrize(("fields", "message"), [
    ({"media_address": "host.example"}, "sip.media_address = 'host.example'"),
    ({"public_address": "1.2.3"}, "sip.public_address = '1.2.3'"),
    ({"rtp_port_min": 40000, "rtp_port_max": 40003}, "at least 8 ports"),
    ({"rtp_port_min": 80, "rtp_port_max": 200}, "1024 <= rtp_port_min"),
    ({"rtp_port_min": 40000, "rtp_port_max": 70000}, "sip.rtp_port_max = 70000"),
])
def test_bad_media_settings_name_the_key_and_the_allowed_values(fields, message):
    with pytest.raises(SipConfigError, match=message):
        SipConfig(**fields)


def test_settings_take_media_keys_and_refuse_a_range_too_small():
    settings = load_settings(None, overrides={"sip": {
        "media_address": "10.0.0.5", "rtp_port_min": 40000, "rtp_port_max": 40099}})
    config = SipConfig.from_section(settings.sip)
    assert (config.media_address, config.rtp_port_min, config.rtp_port_max) == (
        "10.0.0.5", 40000, 40099)
    with pytest.raises(ConfigError, match="rtp_port_min"):
        load_settings(None, overrides={"sip": {"rtp_port_min": 40000, "rtp_port_max": 40001}})
    with pytest.raises(ConfigError, match="public_address"):
        load_settings(None, overrides={"sip": {"public_address": "nat-box"}})


def _args(**kw):
    base = {"config": None, "verbose": 0, "db": None, "no_asr": False, "set": [],
            "admin_port": 0, "bind": None, "media_address": None, "public_address": None}
    base.update(kw)
    return argparse.Namespace(**base)


def test_workers_take_rtp_on_the_fronts_address_not_their_loopback_sip_address():
    settings = load_settings(None)
    media = worker_media_argv(settings, _args(bind="10.77.0.1"), 1, 2)
    assert media == ["--media-address", "10.77.0.1"]
    argv = serve_worker_argv(_args(bind="10.77.0.1"), 1, 5071, media=media)
    assert "--bind 127.0.0.1" in " ".join(argv)  # SIP stays behind the front
    assert "--media-address 10.77.0.1" in " ".join(argv)
    configured = load_settings(None, overrides={"sip": {"media_address": "10.0.0.9"}})
    assert worker_media_argv(configured, _args(bind="0.0.0.0"), 1, 2)[1] == "10.0.0.9"
    nat = worker_media_argv(settings, _args(bind="10.0.0.9", public_address="203.0.113.7"), 2, 2)
    assert nat[-2:] == ["--public-address", "203.0.113.7"]


def test_the_rtp_range_is_split_between_workers_without_overlap():
    assert worker_rtp_range(40000, 40099, 1, 3, 4) == (40000, 40031)
    assert worker_rtp_range(40000, 40099, 3, 3, 4) == (40064, 40095)
    settings = load_settings(None, overrides={"sip": {"rtp_port_min": 40000,
                                                      "rtp_port_max": 40015}})
    argv = serve_worker_argv(_args(set=["sip.rtp_port_min=1"]), 2, 5072,
                             media=worker_media_argv(settings, _args(), 2, 2))
    # the worker's share comes after the operator's --set, so it wins
    assert argv.index("sip.rtp_port_min=40008") > argv.index("sip.rtp_port_min=1")
    with pytest.raises(ScaleError, match="need at least 24"):
        worker_rtp_range(40000, 40015, 1, 3, 4)
