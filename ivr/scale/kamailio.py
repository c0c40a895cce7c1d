"""Kamailio front: render its configuration, check it, and build the command line.

The template lives in deploy/kamailio/ so an admin can read and adapt it; placeholders are
``%%name`` (Kamailio itself uses ``$`` for its variables). Rendering is pure; writing files and
running ``kamailio -c`` are separate small functions.
"""

from __future__ import annotations

import ipaddress
import shutil
import string
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ivr.config import REPO_ROOT, ScaleSettings

TEMPLATE_PATH = REPO_ROOT / "deploy" / "kamailio" / "kamailio.cfg.tmpl"
FRONT_SUBDIR = "front"
KAMAILIO_BINARY = "kamailio"
MODULE_PATHS = (
    "/usr/lib/x86_64-linux-gnu/kamailio/modules",
    "/usr/lib/aarch64-linux-gnu/kamailio/modules",
    "/usr/lib64/kamailio/modules",
    "/usr/lib/kamailio/modules",
    "/usr/local/lib64/kamailio/modules",
    "/usr/local/lib/kamailio/modules",
)
# Defaults of the front: the [scale] section's own defaults (one source of truth).
_SCALE_DEFAULTS = ScaleSettings()
PROBE_INTERVAL_S = _SCALE_DEFAULTS.probe_interval_s
FR_TIMER_MS = _SCALE_DEFAULTS.worker_timeout_ms
PIKE_UNIT_S = _SCALE_DEFAULTS.pike_window_s
PIKE_REQUESTS_COUNT = _SCALE_DEFAULTS.pike_requests_count
BAN_S = _SCALE_DEFAULTS.ban_s
CHILDREN_COUNT = 4
DEBUG_LEVEL = 2  # 2 = info: one line per call routed/answered/failed over
SHM_MB = 64
CHECK_TIMEOUT_S = 30.0


class FrontError(Exception):
    """The front cannot be rendered, checked or started; the message says what to fix."""


class _Template(string.Template):
    delimiter = "%%"


@dataclass(frozen=True)
class FrontParams:
    """Everything the rendered configuration depends on."""

    listen_address: str
    sip_port: int
    destinations: tuple[str, ...]  # worker SIP URIs, e.g. "sip:127.0.0.1:5071"
    probe_interval_s: int = PROBE_INTERVAL_S
    fr_timer_ms: int = FR_TIMER_MS
    pike_unit_s: int = PIKE_UNIT_S
    pike_requests_count: int = PIKE_REQUESTS_COUNT
    ban_s: int = BAN_S
    retry_after_s: int = 30
    children: int = CHILDREN_COUNT
    trusted_sources: tuple[str, ...] = ()  # IPs/CIDRs never rate-limited (carrier SBC, PBX)
    debug_level: int = DEBUG_LEVEL


@dataclass(frozen=True)
class FrontFiles:
    """Where a rendered front lives under the data directory."""

    root: Path
    config: Path
    dispatcher_list: Path
    runtime_dir: Path
    pid_file: Path


def front_files(data_dir: Path) -> FrontFiles:
    root = Path(data_dir) / FRONT_SUBDIR
    return FrontFiles(
        root=root,
        config=root / "kamailio.cfg",
        dispatcher_list=root / "dispatcher.list",
        runtime_dir=root / "run",
        pid_file=root / "run" / "kamailio.pid",
    )


def worker_uri(address: str, port: int) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"sip:{host}:{port};transport=udp"


def find_module_path() -> str:
    """The directory holding Kamailio's modules (dispatcher.so ...)."""
    for candidate in MODULE_PATHS:
        if (Path(candidate) / "dispatcher.so").is_file():
            return candidate
    raise FrontError(
        "Kamailio modules not found (looked for dispatcher.so in "
        + ", ".join(MODULE_PATHS)
        + "); install the Debian package kamailio"
    )


def validate_params(params: FrontParams) -> None:
    """Refuse values that would make a broken or dangerous configuration."""
    try:
        ipaddress.ip_address(params.listen_address)
    except ValueError:
        raise FrontError(
            f"front listen address {params.listen_address!r} is not an IP address "
            "(sip.bind_address must be an IPv4/IPv6 address for the front)"
        ) from None
    for source in params.trusted_sources:
        try:
            ipaddress.ip_network(source, strict=True)
        except ValueError as exc:
            raise FrontError(f"trusted source {source!r} is not an IPv4/IPv6 address or CIDR "
                             f"network ({exc})") from None
    if not 1 <= params.sip_port <= 65535:
        raise FrontError(f"front SIP port {params.sip_port} is outside 1-65535")
    if not params.destinations:
        raise FrontError("the front needs at least one worker destination")
    for uri in params.destinations:
        if not uri.startswith("sip:") or any(c.isspace() for c in uri):
            raise FrontError(f"worker destination {uri!r} is not a sip: URI without spaces")
    for name in ("probe_interval_s", "fr_timer_ms", "pike_unit_s", "pike_requests_count",
                 "ban_s", "retry_after_s", "children"):
        if getattr(params, name) < 1:
            raise FrontError(f"front setting {name} = {getattr(params, name)}: must be >= 1")


def render_dispatcher_list(destinations: Sequence[str]) -> str:
    """Dispatcher list file: set 1, one worker per line."""
    lines = ["# set destination flags priority (rendered by ivr; set 1 = IVR workers)"]
    lines += [f"1 {uri} 0 0" for uri in destinations]
    return "\n".join(lines) + "\n"


def render_trusted_rules(sources: Sequence[str]) -> str:
    """Kamailio statements that return 1 when the source address is in a trusted network.

    ipops' is_in_subnet compares binary addresses, so IPv6 spellings and address families
    cannot be confused; a single address becomes a /32 or /128 network.
    """
    if not sources:
        return "\t# (no trusted sources)"
    networks = [str(ipaddress.ip_network(source, strict=True)) for source in sources]
    return "\n".join(f'\tif (is_in_subnet("$si", "{net}")) {{ return 1; }}' for net in networks)


def front_params(
    settings: Any,
    sip_port: int,
    destinations: Sequence[str],
    listen_address: str | None = None,
    **overrides: Any,
) -> FrontParams:
    """The front's parameters from the settings' [sip] and [scale] sections (+ overrides)."""
    sip = getattr(settings, "sip", None)
    scale = getattr(settings, "scale", None) or _SCALE_DEFAULTS
    values: dict[str, Any] = {
        "listen_address": listen_address or str(getattr(sip, "bind_address", "127.0.0.1")),
        "sip_port": sip_port,
        "destinations": tuple(destinations),
        "probe_interval_s": scale.probe_interval_s,
        "fr_timer_ms": scale.worker_timeout_ms,
        "pike_unit_s": scale.pike_window_s,
        "pike_requests_count": scale.pike_requests_count,
        "ban_s": scale.ban_s,
        "trusted_sources": tuple(getattr(sip, "trusted_sources", None) or scale.trusted_sources),
        "retry_after_s": int(getattr(sip, "retry_after_s", 30)),
    }
    values.update(overrides)
    return FrontParams(**values)


def describe_front(params: FrontParams) -> str:
    """One line for an admin: what the front will listen on and enforce."""
    trusted = ", ".join(params.trusted_sources) or "none"
    return (
        f"kamailio on {params.listen_address}:{params.sip_port} over {len(params.destinations)}"
        f" worker(s); probe every {params.probe_interval_s} s, worker timeout "
        f"{params.fr_timer_ms} ms; ban {params.ban_s} s after {params.pike_requests_count} "
        f"requests in {params.pike_unit_s} s; trusted: {trusted}"
    )


def render_config(
    params: FrontParams,
    dispatcher_list: Path,
    module_path: str,
    template: str | None = None,
) -> str:
    """The Kamailio configuration text for ``params`` (pure apart from reading the template)."""
    validate_params(params)
    text = template if template is not None else TEMPLATE_PATH.read_text(encoding="utf-8")
    try:
        return _Template(text).substitute(
            listen_address=params.listen_address,
            sip_port=params.sip_port,
            dispatcher_list=str(dispatcher_list),
            module_path=module_path,
            probe_interval_s=params.probe_interval_s,
            fr_timer_ms=params.fr_timer_ms,
            pike_unit_s=params.pike_unit_s,
            pike_requests_count=params.pike_requests_count,
            ban_s=params.ban_s,
            retry_after_s=params.retry_after_s,
            children=params.children,
            debug_level=params.debug_level,
            trusted_rules=render_trusted_rules(params.trusted_sources),
        )
    except (KeyError, ValueError) as exc:
        raise FrontError(f"{TEMPLATE_PATH}: bad placeholder {exc}") from None


def write_front_files(data_dir: Path, params: FrontParams) -> FrontFiles:
    """Render the configuration and dispatcher list into ``<data_dir>/front/``."""
    files = front_files(data_dir)
    files.runtime_dir.mkdir(parents=True, exist_ok=True)
    text = render_config(params, files.dispatcher_list, find_module_path())
    files.dispatcher_list.write_text(render_dispatcher_list(params.destinations), encoding="utf-8")
    files.config.write_text(text, encoding="utf-8")
    return files


def kamailio_binary() -> str | None:
    return shutil.which(KAMAILIO_BINARY) or next(
        (p for p in ("/usr/sbin/kamailio", "/usr/local/sbin/kamailio") if Path(p).is_file()), None
    )


def check_config(config: Path, binary: str | None = None) -> tuple[bool, str]:
    """Run ``kamailio -c -f FILE``; returns (ok, kamailio's own output for the admin)."""
    exe = binary or kamailio_binary()
    if exe is None:
        return False, "kamailio binary not found (apt-get install kamailio)"
    try:
        proc = subprocess.run(
            [exe, "-c", "-f", str(config)],
            capture_output=True, text=True, timeout=CHECK_TIMEOUT_S, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{exe} -c failed to run: {exc}"
    output = (proc.stdout + proc.stderr).strip()
    return proc.returncode == 0, output


def kamailio_argv(files: FrontFiles, binary: str | None = None) -> list[str]:
    """Foreground Kamailio (-DD), logging to stderr (-E), own runtime dir and pid file."""
    exe = binary or kamailio_binary()
    if exe is None:
        raise FrontError("kamailio binary not found (apt-get install kamailio)")
    return [
        exe, "-DD", "-E",
        "-f", str(files.config),
        "-Y", str(files.runtime_dir),
        "-P", str(files.pid_file),
        "-m", str(SHM_MB),
    ]
