"""Sections for where the agent runs: transfer queues, SIP, database, privacy, paths, scale."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ivr.config.base import Section
from ivr.config.constants import WHEEL_MAX_CALLS


class TransferSettings(Section):
    queues: dict[str, str] = Field(default_factory=lambda: {"default": "sip:desk@127.0.0.1:5070"})
    default_queue: str = "default"
    angry_turns_count: Annotated[int, Field(ge=1, le=10)] = 2

    @model_validator(mode="after")
    def _default_queue_exists(self) -> TransferSettings:
        if self.default_queue not in self.queues:
            raise ValueError(
                f"default_queue {self.default_queue!r} is not one of the queues "
                f"{sorted(self.queues)}"
            )
        for name, uri in self.queues.items():
            if not re.match(r"^sips?:", uri):
                raise ValueError(f"queue {name!r}: {uri!r} is not a sip: or sips: URI")
        return self


Transport = Literal["udp", "tcp", "tls"]
RTP_PORTS_PER_CALL = 2  # RTP on an even port, RTCP on the next
DEFAULT_TRANSPORTS: tuple[Transport, ...] = ("udp", "tcp")


class SipSettings(Section):
    bind_address: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 5060
    transports: list[Transport] = Field(default_factory=lambda: list(DEFAULT_TRANSPORTS))
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    registrar: str | None = None
    user: str = "ivr"
    domain: str = "127.0.0.1"
    password_env: str = "IVR_SIP_PASSWORD"
    register_expiry_s: Annotated[int, Field(ge=60, le=86400)] = 300
    max_calls_count: Annotated[int, Field(ge=1, le=WHEEL_MAX_CALLS)] = WHEEL_MAX_CALLS
    clock_rate_hz: Literal[8000, 16000] = 8000
    codecs: list[str] = Field(default_factory=lambda: ["PCMU/8000", "PCMA/8000", "G722/16000"])
    retry_after_s: Annotated[int, Field(ge=1, le=3600)] = 30
    drain_timeout_s: Annotated[float, Field(ge=0.0, le=600.0)] = 30.0
    user_agent: str = "hotline-ivr"
    tls_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    # PJSIP holds a call slot until an INVITE transaction times out (32 s by default); with 4
    # slots per process that starves real callers, so the agent uses shorter timers.
    ack_timeout_s: Annotated[float, Field(ge=0.5, le=32.0)] = 4.0
    no_media_timeout_s: Annotated[float, Field(ge=0.0, le=300.0)] = 15.0
    transaction_timeout_s: Annotated[float, Field(ge=2.0, le=32.0)] = 8.0
    pjsip_log_level: Annotated[int, Field(ge=0, le=6)] = 1
    # RTP binds to media_address (None: bind_address; with --workers: the front's address, as
    # the workers' SIP is on loopback). public_address goes into SDP c= when callers must send
    # to another address (NAT, a container's published address). RTP ports: 0/0 = any free
    # port; a range (2 ports per call) is what a firewall or `docker run -p` opens.
    media_address: str | None = None
    public_address: str | None = None
    rtp_port_min: Annotated[int, Field(ge=0, le=65535)] = 0
    rtp_port_max: Annotated[int, Field(ge=0, le=65535)] = 0

    @field_validator("media_address", "public_address")
    @classmethod
    def _ip_address(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not an IPv4/IPv6 address such as 192.0.2.10"
                ) from None
        return value

    # The Python media port's frame (issue 16 lever): 100 ms means five times fewer callbacks
    # and queue hand-offs than 20 ms (FACTS.md: 7.8 % -> 6.0 % of a core for 4 calls), at the
    # price of up to that much more delay before a prompt starts. RTP stays at 20 ms.
    port_frame_ms: Literal[20, 40, 60, 80, 100] = 20
    # Hostile callers (docs/security.md): sources exempt from the per-source limits (a PBX, a
    # carrier SBC; a front proxy's clients are limited by their Via), and how many answered,
    # not yet ACKed calls any other source may hold.
    trusted_sources: list[str] = Field(default_factory=list)
    unconfirmed_per_source_count: Annotated[int, Field(ge=1, le=WHEEL_MAX_CALLS)] = 2

    @field_validator("trusted_sources")
    @classmethod
    def _trusted_are_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(
                    f"trusted source {entry!r} is not an IPv4/IPv6 address or CIDR network"
                ) from None
        return value

    @model_validator(mode="after")
    def _tls_needs_files(self) -> SipSettings:
        if "tls" in self.transports and not (self.tls_cert_file and self.tls_key_file):
            raise ValueError("transport 'tls' needs tls_cert_file and tls_key_file")
        return self

    @model_validator(mode="after")
    def _rtp_range(self) -> SipSettings:
        low, high = self.rtp_port_min, self.rtp_port_max
        need = RTP_PORTS_PER_CALL * self.max_calls_count
        if (low or high) and (low < 1024 or high < low + need - 1):
            raise ValueError(
                f"rtp_port_min = {low}, rtp_port_max = {high}: use 0 and 0 (any free port) or "
                f"a range from 1024 up holding at least {need} ports ({RTP_PORTS_PER_CALL} per "
                f"call x max_calls_count {self.max_calls_count}; x --workers with a front)"
            )
        return self


class DatabaseSettings(Section):
    url: str = "sqlite:///{data_dir}/tickets.db"
    journal_replay_interval_s: Annotated[float, Field(ge=1.0, le=3600.0)] = 30.0


class PrivacySettings(Section):
    number_key_env: str = "IVR_NUMBER_KEY"
    recording_retention_days: Annotated[int, Field(ge=1, le=3650)] = 180
    # Seed 003 客户隐私权保护 "在获取客户信息前,我们会明确告知客户": the notice before anything
    # is recorded or transcribed (recording_notice prompt, before the greeting).
    recording_notice: bool = False


class PathSettings(Section):
    data_dir: str = ""
    prompts_dir: str = ""
    audio_dir: str = ""
    # The disk guard (ivr.tickets.diskspace): below this much free space in the data directory
    # (or the SQLite database's), new calls get 503 so a ticket always has room.
    min_free_mb: Annotated[int, Field(ge=2, le=1_000_000)] = 64
    disk_check_interval_s: Annotated[float, Field(ge=0.5, le=300.0)] = 5.0


class ScaleSettings(Section):
    """`ivr serve --workers N`: the Kamailio front and the supervisor (deploy/README.md).

    An admin tunes these, not the code: a carrier SBC that brings every call from one address
    must be a trusted source or pike bans it at ~15 calls/s.
    """

    front: Literal["kamailio", "none"] = "kamailio"  # what --workers > 1 uses
    worker_port_offset_count: Annotated[int, Field(ge=0, le=1000)] = 10  # worker k: port+10+k
    probe_interval_s: Annotated[int, Field(ge=1, le=300)] = 2
    worker_timeout_ms: Annotated[int, Field(ge=200, le=32000)] = 2000
    pike_window_s: Annotated[int, Field(ge=1, le=300)] = 2
    pike_requests_count: Annotated[int, Field(ge=2, le=100000)] = 30
    ban_s: Annotated[int, Field(ge=1, le=604800)] = 300
    trusted_sources: list[str] = Field(default_factory=list)
    restart_initial_s: Annotated[float, Field(ge=0.1, le=300.0)] = 1.0
    restart_max_s: Annotated[float, Field(ge=0.1, le=3600.0)] = 30.0
    status_interval_s: Annotated[float, Field(ge=1.0, le=86400.0)] = 300.0

    @field_validator("trusted_sources")
    @classmethod
    def _addresses_or_networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=True)
            except ValueError as exc:
                hint = ""
                try:
                    hint = f"; did you mean {ipaddress.ip_network(entry.strip(), strict=False)}?"
                except ValueError:
                    pass
                raise ValueError(
                    f"trusted source {entry!r} is not an IPv4/IPv6 address or CIDR network "
                    f"({exc}){hint}"
                ) from None
        return value

    @model_validator(mode="after")
    def _restart_delays_ordered(self) -> ScaleSettings:
        if self.restart_initial_s > self.restart_max_s:
            raise ValueError(
                f"restart_initial_s ({self.restart_initial_s}) must not exceed "
                f"restart_max_s ({self.restart_max_s})"
            )
        return self
