"""SIP settings for the softphone layer: one frozen dataclass with named defaults.

The lead maps ``config/ivr.toml`` ``[sip]`` onto :class:`SipConfig`; this module only knows the
values pjsua2 needs, validates them and says which key is wrong and what is allowed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, fields
from typing import Any

DEFAULT_BIND_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 5060
DEFAULT_TRANSPORTS: tuple[str, ...] = ("udp", "tcp")
DEFAULT_USER = "ivr"
DEFAULT_PASSWORD_ENV = "IVR_SIP_PASSWORD"
DEFAULT_REGISTER_EXPIRY_S = 300
DEFAULT_MAX_CALLS_COUNT = 4
DEFAULT_CLOCK_RATE_HZ = 8000
DEFAULT_FRAME_MS = 20
DEFAULT_USER_AGENT = "ivr-hotline/0.1"
DEFAULT_RETRY_AFTER_S = 30
# An answered INVITE that is never ACKed (a stray or forged INVITE) would hold one of the four
# call slots for 32 s (Timer H); we hang such calls up much sooner.
DEFAULT_ACK_TIMEOUT_S = 4.0
# A confirmed call that receives no RTP packet at all for this long is hung up (0 = off).
DEFAULT_NO_MEDIA_TIMEOUT_S = 15.0
# PJSIP's transaction timeout (64 x T1 = 32 s by default): how long an answered INVITE that is
# never ACKed keeps its call slot inside pjsua, and Timer B/F for our own requests.
DEFAULT_TRANSACTION_TIMEOUT_S = 8.0
DEFAULT_PJSIP_LOG_LEVEL = 1
# ACK-less INVITE floods (issue 11): one source may hold this many answered, not yet ACKed
# calls; this many never-ACKed calls within ack_strike_window_s ban it for ack_ban_s.
DEFAULT_UNCONFIRMED_PER_SOURCE_COUNT = 2
DEFAULT_ACK_STRIKES_COUNT = 2
DEFAULT_ACK_STRIKE_WINDOW_S = 60.0
DEFAULT_ACK_BAN_S = 60.0
# TCP/TLS connections with no call and no request for this long are closed; one source may
# keep this many such connections (ivr/sip/tcpguard.py).
DEFAULT_TCP_IDLE_TIMEOUT_S = 10.0
DEFAULT_TCP_PER_SOURCE_COUNT = 8
DEFAULT_CODECS: tuple[str, ...] = ("PCMU/8000", "PCMA/8000", "G722/16000")
# RTP ports: 0/0 = any free port the OS gives. A range is what a firewall or a container
# publishes; pjsua takes an even RTP port and the next odd one for RTCP for every call.
DEFAULT_RTP_PORT_MIN = 0
DEFAULT_RTP_PORT_MAX = 0
RTP_PORTS_PER_CALL = 2

ALLOWED_TRANSPORTS = ("udp", "tcp", "tls")
ALLOWED_CLOCK_RATES_HZ = (8000, 16000)
ALLOWED_FRAME_MS = (10, 20, 30)
MAX_PORT_FRAME_MS = 100
PJSUA_COMPILED_MAX_CALLS = 4


class SipConfigError(ValueError):
    """A SIP setting is out of range; the message names the key, the value and what is allowed."""


@dataclass(frozen=True)
class SipConfig:
    """Everything the SIP engine needs; defaults are the named constants above."""

    bind_address: str = DEFAULT_BIND_ADDRESS
    port: int = DEFAULT_PORT
    transports: tuple[str, ...] = DEFAULT_TRANSPORTS
    tls_port: int | None = None  # None: port + 1
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    registrar: str | None = None  # e.g. "sip:pbx.example.com"; None = direct calls only
    user: str = DEFAULT_USER
    domain: str | None = None  # None: the bind address (direct) or the registrar host
    password_env: str = DEFAULT_PASSWORD_ENV
    register_expiry_s: int = DEFAULT_REGISTER_EXPIRY_S
    max_calls_count: int = DEFAULT_MAX_CALLS_COUNT
    clock_rate_hz: int = DEFAULT_CLOCK_RATE_HZ
    frame_ms: int = DEFAULT_FRAME_MS
    port_frame_ms: int = DEFAULT_FRAME_MS  # the Python media port's frame: a multiple of frame_ms
    user_agent: str = DEFAULT_USER_AGENT
    codecs: tuple[str, ...] = DEFAULT_CODECS  # in priority order; every other codec is disabled
    retry_after_s: int = DEFAULT_RETRY_AFTER_S
    ack_timeout_s: float = DEFAULT_ACK_TIMEOUT_S
    no_media_timeout_s: float = DEFAULT_NO_MEDIA_TIMEOUT_S
    transaction_timeout_s: float = DEFAULT_TRANSACTION_TIMEOUT_S
    pjsip_log_level: int = DEFAULT_PJSIP_LOG_LEVEL
    # Media (RTP) binds here; None = bind_address. Workers behind the front listen for SIP on
    # loopback but must take RTP on an address the caller can reach.
    media_address: str | None = None
    # What goes into SDP c= (and o=) when it differs from media_address (NAT, a container's
    # published address); None = the media address itself.
    public_address: str | None = None
    rtp_port_min: int = DEFAULT_RTP_PORT_MIN
    rtp_port_max: int = DEFAULT_RTP_PORT_MAX
    # Sources exempt from the per-source limits (the front proxy, a PBX): IPs or CIDRs.
    trusted_sources: tuple[str, ...] = ()
    unconfirmed_per_source_count: int = DEFAULT_UNCONFIRMED_PER_SOURCE_COUNT
    ack_strikes_count: int = DEFAULT_ACK_STRIKES_COUNT
    ack_strike_window_s: float = DEFAULT_ACK_STRIKE_WINDOW_S
    ack_ban_s: float = DEFAULT_ACK_BAN_S
    # Lock each answered call's RTP to the caller's address (ivr/sip/medialock.py).
    media_lock: bool = True
    tcp_idle_timeout_s: float = DEFAULT_TCP_IDLE_TIMEOUT_S
    tcp_per_source_count: int = DEFAULT_TCP_PER_SOURCE_COUNT

    def __post_init__(self) -> None:
        _check_address(self.bind_address)
        if self.media_address is not None:
            _check_address(self.media_address, "media_address")
        if self.public_address is not None:
            _check_address(self.public_address, "public_address")
        self._check_rtp_ports()
        _check_port("port", self.port, allow_zero=True)
        if self.tls_port is not None:
            _check_port("tls_port", self.tls_port, allow_zero=True)
        if not self.transports:
            raise SipConfigError(
                f"sip.transports is empty; allowed: a list of {', '.join(ALLOWED_TRANSPORTS)}"
            )
        for name in self.transports:
            if name not in ALLOWED_TRANSPORTS:
                raise SipConfigError(
                    f"sip.transports has {name!r}; allowed: {', '.join(ALLOWED_TRANSPORTS)}"
                )
        if "tls" in self.transports and not (self.tls_cert_file and self.tls_key_file):
            raise SipConfigError(
                "sip.transports has 'tls' but sip.tls_cert_file/sip.tls_key_file are not set"
            )
        if bool(self.tls_cert_file) != bool(self.tls_key_file):
            raise SipConfigError("sip.tls_cert_file and sip.tls_key_file must be set together")
        if self.registrar is not None and not self.registrar.startswith(("sip:", "sips:")):
            raise SipConfigError(
                f"sip.registrar = {self.registrar!r}; allowed: a sip: or sips: URI"
            )
        if not self.user or any(c in self.user for c in " @:<>;"):
            raise SipConfigError(f"sip.user = {self.user!r}; allowed: a SIP user name")
        if not self.codecs or any("/" not in c for c in self.codecs):
            raise SipConfigError(
                f"sip.codecs = {list(self.codecs)!r}; allowed: codec ids such as 'PCMU/8000'"
            )
        _check_range("max_calls_count", self.max_calls_count, 1, 1000)
        if self.clock_rate_hz not in ALLOWED_CLOCK_RATES_HZ:
            raise SipConfigError(
                f"sip.clock_rate_hz = {self.clock_rate_hz}; allowed: {ALLOWED_CLOCK_RATES_HZ}"
            )
        if self.frame_ms not in ALLOWED_FRAME_MS:
            raise SipConfigError(f"sip.frame_ms = {self.frame_ms}; allowed: {ALLOWED_FRAME_MS}")
        if self.port_frame_ms % self.frame_ms or not 0 < self.port_frame_ms <= MAX_PORT_FRAME_MS:
            raise SipConfigError(
                f"sip.port_frame_ms = {self.port_frame_ms}; allowed: a multiple of "
                f"sip.frame_ms ({self.frame_ms}) up to {MAX_PORT_FRAME_MS}")
        _check_range("register_expiry_s", self.register_expiry_s, 30, 86400)
        _check_range("retry_after_s", self.retry_after_s, 0, 86400)
        _check_range("ack_timeout_s", self.ack_timeout_s, 0.5, 32.0)
        _check_range("no_media_timeout_s", self.no_media_timeout_s, 0.0, 3600.0)
        _check_range("transaction_timeout_s", self.transaction_timeout_s, 2.0, 32.0)
        _check_range("pjsip_log_level", self.pjsip_log_level, 0, 6)
        _check_range("unconfirmed_per_source_count", self.unconfirmed_per_source_count, 1, 1000)
        _check_range("ack_strikes_count", self.ack_strikes_count, 1, 1000)
        _check_range("ack_strike_window_s", self.ack_strike_window_s, 1.0, 86400.0)
        _check_range("ack_ban_s", self.ack_ban_s, 0.0, 86400.0)
        _check_range("tcp_idle_timeout_s", self.tcp_idle_timeout_s, 1.0, 3600.0)
        _check_range("tcp_per_source_count", self.tcp_per_source_count, 1, 1000)
        for entry in self.trusted_sources:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise SipConfigError(
                    f"sip.trusted_sources has {entry!r}; allowed: IPv4/IPv6 addresses or CIDR "
                    "networks such as 10.0.0.0/8"
                ) from None

    def _check_rtp_ports(self) -> None:
        low, high = self.rtp_port_min, self.rtp_port_max
        for key, value in (("rtp_port_min", low), ("rtp_port_max", high)):
            _check_port(key, value, allow_zero=True)
        if low == 0 and high == 0:
            return
        need = RTP_PORTS_PER_CALL * self.max_calls_count
        if low < 1024 or high < low + need - 1:
            raise SipConfigError(
                f"sip.rtp_port_min = {low}, sip.rtp_port_max = {high}; allowed: both 0 (any "
                f"free port), or 1024 <= rtp_port_min and a range of at least {need} ports "
                f"({RTP_PORTS_PER_CALL} per call x sip.max_calls_count = {self.max_calls_count})"
            )

    @classmethod
    def from_section(cls, section: Any, **overrides: Any) -> SipConfig:
        """Build from the ``[sip]`` settings object (any object with same-named attributes).

        Attributes that are not SipConfig fields (e.g. ``drain_timeout_s``, the session's) are
        ignored; lists become tuples; ``overrides`` (e.g. ``port=`` from ``--sip-port``) win.
        """
        values: dict[str, Any] = {}
        for item in fields(cls):
            if hasattr(section, item.name):
                value = getattr(section, item.name)
                values[item.name] = tuple(value) if isinstance(value, list) else value
        values.update(overrides)
        return cls(**values)

    @property
    def effective_domain(self) -> str:
        """Domain of our own URI: configured, else the registrar host, else the bind address."""
        if self.domain:
            return self.domain
        if self.registrar:
            host = self.registrar.split(":", 1)[1].split(";", 1)[0]
            return host
        return self.bind_address

    @property
    def effective_media_address(self) -> str:
        """Where RTP sockets bind: media_address, else the SIP bind address."""
        return self.media_address or self.bind_address

    @property
    def advertised_media_address(self) -> str:
        """The address callers are told to send RTP to (SDP c=)."""
        return self.public_address or self.effective_media_address

    @property
    def effective_tls_port(self) -> int:
        """TLS listens on tls_port, or on port + 1 (0 when the SIP port is chosen by the OS)."""
        if self.tls_port is not None:
            return self.tls_port
        return self.port + 1 if self.port else 0

    @property
    def samples_per_frame(self) -> int:
        """Samples in one frame at the call's clock rate (160 for 8 kHz, 20 ms)."""
        return self.clock_rate_hz * self.frame_ms // 1000

    @property
    def bytes_per_frame(self) -> int:
        """Bytes of one 16-bit mono frame."""
        return 2 * self.samples_per_frame

    @property
    def bytes_per_port_frame(self) -> int:
        """Bytes of one frame of the Python media port (port_frame_ms)."""
        return 2 * self.clock_rate_hz * self.port_frame_ms // 1000


def _check_address(value: str, key: str = "bind_address") -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise SipConfigError(
            f"sip.{key} = {value!r}; allowed: an IPv4/IPv6 address such as 127.0.0.1"
        ) from None


def _check_port(key: str, value: int, *, allow_zero: bool) -> None:
    low = 0 if allow_zero else 1
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= 65535:
        raise SipConfigError(f"sip.{key} = {value!r}; allowed: {low}..65535 (0 = any free port)")


def _check_range(key: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise SipConfigError(f"sip.{key} = {value!r}; allowed: {low}..{high}")
