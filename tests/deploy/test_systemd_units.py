"""deploy/systemd/*.service: systemd accepts them (`systemd-analyze verify`, where installed),
they run `ivr serve` (one agent / --workers) as an unprivileged user under the hardening the
deployment guide promises, and may write only the data directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
UNITS = sorted(UNITS_DIR.glob("*.service"))
INSTALLED_IVR = "/opt/ivr/venv/bin/ivr"
HARDENING = {
    "User": "ivr", "ProtectSystem": "strict", "NoNewPrivileges": "yes", "ProtectHome": "yes",
    "PrivateTmp": "yes", "ReadWritePaths": "/var/lib/ivr", "CapabilityBoundingSet": "",
}


def _directives(path: Path) -> dict[str, list[str]]:
    """key -> values of the [Service] section (keys may repeat, e.g. Environment=)."""
    found: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not key=value: {raw!r}"
        if section == "Service":
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_both_forms_exist_run_ivr_serve_and_are_hardened() -> None:
    names = {p.name for p in UNITS}
    assert {"ivr.service", "ivr-workers.service"} <= names, names
    for unit in UNITS:
        service = _directives(unit)
        start = service["ExecStart"][0]
        assert start.startswith(f"{INSTALLED_IVR} serve"), start
        for key, value in HARDENING.items():
            assert service.get(key) == [value], (unit.name, key, service.get(key))
        env = dict(item.split("=", 1) for item in service["Environment"])
        assert env["IVR_DATA_DIR"] == "/var/lib/ivr" and env["IVR_CONFIG"].startswith("/etc/ivr/")
    assert "--workers" in _directives(UNITS_DIR / "ivr-workers.service")["ExecStart"][0]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze not installed (the parse test above still runs)")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: point it at this environment's `ivr`.
    ivr = Path(sys.executable).with_name("ivr")
    if not ivr.exists():
        pytest.skip(f"no `ivr` script beside {sys.executable}")
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit.name
        copy.write_text(unit.read_text().replace(INSTALLED_IVR, str(ivr)))
        copies.append(str(copy))
    proc = subprocess.run(["systemd-analyze", "verify", *copies], capture_output=True,
                          text=True, timeout=60, check=False)
    ours = [ln for ln in (proc.stdout + proc.stderr).splitlines()
            if any(Path(c).name in ln for c in copies)]
    assert proc.returncode == 0 and not ours, proc.stdout + proc.stderr
