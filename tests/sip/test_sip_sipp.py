"""sipp (Debian sip-tester) against a test agent built from ivr.sip: pcap audio and RFC 2833."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sipkit import free_port, sipp_path

pytestmark = [pytest.mark.sip]

PCAP_DIR = Path("/usr/share/sip-tester")
SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def run_sipp(agent_port: int, workdir: Path, scenario: list[str], timeout_s: float = 60.0
             ) -> subprocess.CompletedProcess[str]:
    sipp = sipp_path()
    if not (PCAP_DIR / "g711a.pcap").exists():
        pytest.skip(f"no sipp pcaps in {PCAP_DIR}")
    pcap = workdir / "pcap"
    if not pcap.exists():
        pcap.symlink_to(PCAP_DIR)
    return subprocess.run(
        [sipp, f"127.0.0.1:{agent_port}", *scenario, "-s", "ivr", "-i", "127.0.0.1",
         "-p", str(free_port()), "-mp", str(free_port()), "-m", "1", "-timeout", "40",
         "-timeout_error", "-nostdin"],
        cwd=workdir, capture_output=True, text=True, timeout=timeout_s,
    )


@pytest.mark.slow
def test_sipp_uac_pcap_completes_and_audio_and_dtmf_arrive(start_agent, tmp_path: Path) -> None:
    """The built-in uac_pcap scenario: G.711 A-law speech from g711a.pcap, then digit 1."""
    agent = start_agent()
    proc = run_sipp(agent.port, tmp_path, ["-sn", "uac_pcap"])
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-1000:]
    assert agent.wait_for("dtmf")["digit"] == "1"
    assert agent.wait_for("disconnected")["by_remote"] is True
    heard = agent.wait_for("frames")
    assert heard["count"] > 400  # ~9 s of 20 ms frames
    assert heard["rms_dbfs"] > -45  # real speech, not silence


def test_sipp_rfc2833_digits_arrive_in_order(start_agent, tmp_path: Path) -> None:
    agent = start_agent()
    proc = run_sipp(agent.port, tmp_path, ["-sf", str(SCENARIOS / "uac_dtmf.xml")])
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-1000:]
    agent.wait_for("disconnected")
    digits = [e["digit"] for e in agent.drain() if e["event"] == "dtmf"]
    assert digits == ["3", "9", "*", "#"]
