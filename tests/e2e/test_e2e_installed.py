"""The package outside the checkout, as the Dockerfile installs it: a wheel built from this
tree, installed into a fresh venv, run from `/` with no PYTHONPATH. It must find its default
configuration and prompts (installed to <venv>/share/ivr) and answer a real call.

The fresh venv gets the shared venv's third-party packages through a .pth file (no network, no
compiling pjsua2); `ivr` itself comes only from the wheel. ~20 s (wheel ~3 s, agent start, one
6 s call).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from e2ekit import ROOT, Proc, free_port

pytestmark = [pytest.mark.sip, pytest.mark.slow]

SOURCES = ("pyproject.toml", "README.md", "ivr", "config", "prompts", "audio", "deploy")
GREETING_MIN_RMS = 0.01


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel of this tree; returns its bin/ folder."""
    tmp = tmp_path_factory.mktemp("installed")
    src = tmp / "src"  # built from a copy: setuptools writes build/ into the source tree
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    pip = [sys.executable, "-m", "pip"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "-q", "-w", str(tmp / "wheels"),
                            str(src)], capture_output=True, text=True, timeout=300, check=False)
    if built.returncode != 0:
        pytest.skip(f"cannot build the wheel here (build backend unavailable?): "
                    f"{built.stderr.strip()[-500:]}")
    wheel = next((tmp / "wheels").glob("ivr-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=60)
    subprocess.run([*pip, "--python", str(venv / "bin" / "python"), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, timeout=120)
    purelib = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "_shared_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "IVR_CONFIG")}
    env.update(IVR_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    return env


def test_installed_ivr_uses_its_own_code_and_defaults_from_root(installed, e2e_data_dir):
    probe = subprocess.run([str(installed / "python"), "-c",
                            "import ivr, ivr.config as c; print(ivr.__file__); "
                            "print(c.DEFAULT_CONFIG_PATH); print(c.DEFAULT_PROMPTS_DIR)"],
                           capture_output=True, text=True, cwd="/", env=_env(e2e_data_dir),
                           check=True)
    module, config, prompts = probe.stdout.split()
    venv = installed.parent
    assert Path(module).is_relative_to(venv) and not Path(module).is_relative_to(ROOT)
    assert Path(config) == venv / "share" / "ivr" / "config" / "ivr.toml"
    assert (Path(prompts) / "zh-CN.toml").is_file()
    check = subprocess.run([str(installed / "ivr"), "config", "check"], capture_output=True,
                           text=True, cwd="/", env=_env(e2e_data_dir), timeout=60)
    assert check.returncode == 0 and "ok" in check.stdout, check.stdout + check.stderr
    missing = subprocess.run([str(installed / "ivr"), "config", "check"], capture_output=True,
                             text=True, cwd="/", timeout=60,
                             env=_env(e2e_data_dir, IVR_CONFIG="/nonexistent/ivr.toml"))
    assert missing.returncode != 0
    assert "/nonexistent/ivr.toml" in missing.stdout + missing.stderr
    assert "IVR_CONFIG" in missing.stdout + missing.stderr


def _etc_layout(installed: Path, etc: Path) -> Path:
    """What the Dockerfile builds: IVR_CONFIG=/etc/ivr/ivr.toml (the installed defaults with
    the image's RTP range), prompts/ and audio/ beside it."""
    share = installed.parent / "share" / "ivr"
    etc.mkdir(parents=True)
    shutil.copytree(share / "prompts", etc / "prompts")
    shutil.copytree(share / "audio", etc / "audio")
    text = (share / "config" / "ivr.toml").read_text()
    text = text.replace("\nrtp_port_min = 0 ", "\nrtp_port_min = 40000")
    text = text.replace("\nrtp_port_max = 0 ", "\nrtp_port_max = 40099")
    assert "rtp_port_min = 40000" in text
    (etc / "ivr.toml").write_text(text)
    return etc / "ivr.toml"


def test_installed_agent_answers_a_call_from_root(installed, e2e_data_dir, tmp_path):
    from ivr.media.wavio import read_wav

    port, admin = free_port(), free_port()
    config = _etc_layout(installed, tmp_path / "etc" / "ivr")
    env = _env(e2e_data_dir, IVR_CONFIG=str(config))
    agent = Proc([str(installed / "ivr"), "serve", "--bind", "127.0.0.1", "--sip-port",
                  str(port), "--admin-port", str(admin), "--no-asr",
                  "--db", f"sqlite:///{tmp_path / 'tickets.db'}"], env, tmp_path / "agent.log",
                 cwd=Path("/"))
    try:
        assert agent.wait_for(lambda ln: ln.strip() == "ready", 180), agent.tail()
        started = "\n".join(agent.lines)
        assert f"configuration {config}" in started, started
        assert "ports 40000-40099" in started, started
        record = tmp_path / "heard.wav"
        call = subprocess.run([str(installed / "ivr"), "call", f"sip:ivr@127.0.0.1:{port}",
                               "--json", "--max-s", "6", "--record", str(record)],
                              capture_output=True, text=True, cwd="/", env=env, timeout=90)
        events = [json.loads(ln) for ln in call.stdout.splitlines() if ln.startswith("{")]
        assert call.returncode == 0, call.stdout + call.stderr
        assert any(e["event"] == "answered" for e in events), events
        audio = read_wav(record)
        samples = audio.samples[: 4 * audio.rate_hz].astype(np.float64) / 32768.0
        rms = float(np.sqrt(np.mean(samples**2)))
        print(f"installed agent: caller heard the greeting at RMS {rms:.3f}")
        assert rms > GREETING_MIN_RMS
        assert agent.wait_for(lambda ln: ln.startswith("call "), 30), agent.tail()
        # a single agent's own /metrics: the call is counted once it has ended
        from prometheus_client.parser import text_string_to_metric_families

        with urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=5) as r:
            text = r.read().decode()
        samples = {s.name: s.value for f in text_string_to_metric_families(text)
                   for s in f.samples if not s.labels}
        ended = sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
                    if s.name == "ivr_calls_total")
        assert ended == 1 and samples["ivr_calls_in_progress"] == 0, text
    finally:
        agent.stop()
