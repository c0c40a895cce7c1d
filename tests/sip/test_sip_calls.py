"""Real SIP calls over loopback: a pjsua2 caller (`ivr call`, own process) and a test agent."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from sipkit import run_ivr_call

from ivr.media.wavio import read_wav, write_wav

pytestmark = [pytest.mark.sip]

RATE_HZ = 8000


def rms_dbfs(samples: np.ndarray) -> float:
    x = samples.astype(np.float64)
    return 20 * math.log10(math.sqrt(float((x * x).mean())) / 32768 + 1e-12)


def by_name(events: list[dict], name: str) -> list[dict]:
    return [e for e in events if e["event"] == name]


def test_tone_dtmf_and_agent_hangup(start_agent, tmp_path: Path) -> None:
    """Tone through PCMU both ways, RFC 2833 digit arrives, agent hangs up, caller sees it."""
    agent = start_agent(tone_dbfs=-12.0, hangup_after_s=3.0)
    t = np.arange(int(RATE_HZ * 5)) / RATE_HZ
    caller_tone = (32767 * 10 ** (-20 / 20) * np.sin(2 * math.pi * 1000 * t)).astype(np.int16)
    play = tmp_path / "caller.wav"
    write_wav(play, caller_tone, RATE_HZ)
    record = tmp_path / "heard.wav"
    code, events, stderr = run_ivr_call(agent.uri, "--play", str(play), "--record", str(record),
                                        "--dtmf", "5", "--dtmf-at", "1.0", "--max-s", "20")
    assert code == 0, stderr
    assert by_name(events, "answered")
    ended = by_name(events, "disconnected")[0]
    assert ended["by"] == "remote" and ended["code"] == 200
    assert 2.0 <= by_name(events, "ended")[0]["duration_s"] <= 6.0
    assert agent.wait_for("dtmf", digit="5")
    gone = agent.wait_for("disconnected")
    assert gone["by_remote"] is False
    heard = agent.wait_for("frames")
    assert heard["count"] > 100  # 3 s of 20 ms frames
    # A -20 dBFS peak sine is -23 dBFS RMS; the agent heard it through PCMU (with some silence
    # before the playback started, so only a lower bound that silence could never reach).
    assert heard["rms_dbfs"] > -30
    audio = read_wav(record)
    assert audio.rate_hz == RATE_HZ and audio.duration_s > 2.0
    middle = audio.samples[RATE_HZ // 2 : 2 * RATE_HZ]
    # The agent plays a -12 dBFS peak 440 Hz tone: -15 dBFS RMS, through G.711 mu-law.
    assert rms_dbfs(middle) == pytest.approx(-15.0, abs=1.5)
    spectrum = np.abs(np.fft.rfft(middle.astype(np.float64)))
    assert np.argmax(spectrum) * RATE_HZ / len(middle) == pytest.approx(440, abs=10)


def test_sip_info_dtmf_and_caller_hangup(start_agent) -> None:
    agent = start_agent()
    code, events, stderr = run_ivr_call(agent.uri, "--dtmf", "#", "--dtmf-at", "0.3",
                                        "--dtmf-method", "info", "--max-s", "1.5")
    assert code == 0, stderr
    assert by_name(events, "max_duration")
    assert by_name(events, "disconnected")[0]["by"] == "us"
    assert agent.wait_for("dtmf", digit="#")
    assert agent.wait_for("disconnected")["by_remote"] is True


def test_tcp_call(start_agent) -> None:
    agent = start_agent(hangup_after_s=1.0)
    code, _, stderr = run_ivr_call(agent.uri + ";transport=tcp", "--max-s", "10")
    assert code == 0, stderr
    assert agent.wait_for("incoming")["transport"] == "tcp"


def test_blacklisted_caller_rejected_before_answer(start_agent) -> None:
    agent = start_agent(reject_user="caller")
    code, events, _ = run_ivr_call(agent.uri, "--max-s", "5")
    assert code == 1
    assert not by_name(events, "answered")
    assert by_name(events, "disconnected")[0]["code"] == 603


def test_blind_transfer_carries_ticket_headers(start_agent) -> None:
    """REFER to a second UA: the transferee's INVITE carries X-Ticket-Id and User-to-User."""
    desk = start_agent(desk=True, hangup_after_s=1.5)
    agent = start_agent(transfer_to=desk.uri, ticket_id="T-2024-0042")
    code, events, stderr = run_ivr_call(agent.uri, "--dtmf", "0", "--dtmf-at", "0.5",
                                        "--max-s", "15")
    assert code == 0, stderr
    incoming = desk.wait_for("incoming")
    assert incoming["headers"]["x-ticket-id"] == "T-2024-0042"
    uui = incoming["headers"]["user-to-user"]
    assert uui.lower().endswith(";encoding=hex")
    assert bytes.fromhex(uui.split(";")[0]).decode() == "T-2024-0042"
    result = agent.wait_for("transfer_result")
    assert result["ok"] is True and result["code"] == 200
    assert by_name(events, "transferred")
    # Both legs end: the agent drops its leg after the transfer, the desk hangs up later.
    legs = {e["leg"] for e in by_name(events, "disconnected")}
    assert legs == {0, 1}


def test_bad_arguments_exit_2_without_traceback(tmp_path: Path) -> None:
    code, _, stderr = run_ivr_call("sip:x@127.0.0.1:9", "--dtmf", "1")
    assert code == 2 and "pairs" in stderr and "Traceback" not in stderr
    code, _, stderr = run_ivr_call("sip:x@127.0.0.1:9", "--play", str(tmp_path / "none.wav"))
    assert code == 2 and "none.wav" in stderr and "Traceback" not in stderr
    code, _, stderr = run_ivr_call("http://example.com")
    assert code == 2 and "sip:" in stderr


def test_failed_transfer_is_reported_with_its_code(start_agent) -> None:
    """The desk refuses the transferred caller (603): the REFER's NOTIFY says so."""
    desk = start_agent(desk=True, reject_user="caller")
    agent = start_agent(transfer_to=desk.uri, ticket_id="T-9", hangup_after_s=2.5)
    code, events, stderr = run_ivr_call(agent.uri, "--dtmf", "0", "--dtmf-at", "0.5",
                                        "--max-s", "15")
    assert code == 0, stderr
    result = agent.wait_for("transfer_result")
    assert result["ok"] is False and result["code"] == 603
    assert desk.wait_for("incoming")["headers"]["x-ticket-id"] == "T-9"
    # The caller stays with the agent until the agent hangs up.
    assert by_name(events, "disconnected")[-1]["by"] == "remote"
