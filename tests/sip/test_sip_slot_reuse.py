"""A new call that reuses the pjsua call slot of a call that just ended must live on.

pjsua2's ``Call::~Call`` clears the user data of, and hangs up, whatever call holds the slot id
the object last knew. The agent used to drop ended Call objects after the event poll that
reported them, so when the BYE of one call and the INVITE of the next were handled in the same
poll (back-to-back callers on a full agent), the old object's destructor detached the new call
from Python and sent it a BYE. These tests make that happen on purpose.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest
from rawsip import Response, SipProbe, parse_response
from sipkit import free_port, sipp_path
from sipp_uac import pause, uac_scenario

pytestmark = [pytest.mark.sip]

# No RTP is sent by the raw probes: keep the no-media watchdog out of the way.
AGENT_SIP = {"no_media_timeout_s": 0.0, "ack_timeout_s": 4.0}
PCAP_DIR = Path("/usr/share/sip-tester")


class RawCall:
    """One hand-made call on its own socket: INVITE, ACK, BYE, and what the agent sends."""

    def __init__(self, agent_port: int) -> None:
        self.probe = SipProbe(agent_port)
        self.call_id = uuid.uuid4().hex
        self.to_tag = ""
        self.requests: list[str] = []  # request lines the agent sent us (e.g. "BYE ...")

    def invite_bytes(self) -> bytes:
        return self.probe.request("INVITE", call_id=self.call_id, cseq=1, body=self.probe.sdp())

    def bye_bytes(self) -> bytes:
        return self.probe.request("BYE", call_id=self.call_id, cseq=2, to_tag=self.to_tag)

    def final(self, method: str, timeout_s: float = 5.0) -> Response | None:
        """The final response to our ``method``; requests from the agent are noted."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            for message in self.probe.receive(left):
                response = parse_response(message)
                if response is None:
                    self.requests.append(message.decode("utf-8", "replace").split("\r\n")[0])
                    continue
                if response.code >= 200 and response.headers.get("cseq", "").endswith(method):
                    return response
        return None

    def confirm(self) -> None:
        """After a 200 to the INVITE: remember the To tag and ACK."""
        response = self.final("INVITE")
        assert response is not None and response.code == 200, response
        self.to_tag = response.headers["to"].partition(";tag=")[2].split(";")[0]
        self.probe.send(self.probe.request("ACK", call_id=self.call_id, cseq=1,
                                           to_tag=self.to_tag))

    def listen(self, seconds: float) -> None:
        """Collect whatever the agent sends for ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            for message in self.probe.receive(left):
                if parse_response(message) is None:
                    self.requests.append(message.decode("utf-8", "replace").split("\r\n")[0])

    def hang_up(self) -> None:
        self.probe.send(self.bye_bytes())
        response = self.final("BYE")
        assert response is not None and response.code == 200, response

    def close(self) -> None:
        self.probe.close()


def test_bye_and_invite_in_one_poll_new_call_keeps_its_slot(start_agent) -> None:
    """3 slots held, call 4 ends while call 5 arrives: call 5 gets slot 4 and lives on."""
    agent = start_agent(sip=AGENT_SIP)
    calls = [RawCall(agent.port) for _ in range(5)]
    try:
        for call in calls[:4]:
            call.probe.send(call.invite_bytes())
            call.confirm()
            agent.wait_for("state", state="CONFIRMED")
        ending, fresh = calls[3], calls[4]
        for _ in range(3):  # the bug needs both in one poll; repeat the race a few times
            # Two datagrams back to back: pjsua reads them in one libHandleEvents.
            ending.probe.send(ending.bye_bytes())
            fresh.probe.send(fresh.invite_bytes())
            assert ending.final("BYE") is not None
            fresh.confirm()
            gone = agent.wait_for("disconnected")
            confirmed = agent.wait_for("state", state="CONFIRMED", timeout_s=5.0)
            assert confirmed["call"] == gone["call"]  # the same pjsua slot, reused
            fresh.listen(1.0)
            assert not [r for r in fresh.requests if r.startswith("BYE")], fresh.requests
            # Next round: the fresh call ends while yet another one arrives.
            ending, fresh = fresh, RawCall(agent.port)
            calls.append(fresh)
        ending.hang_up()
        agent.wait_for("disconnected")
        for call in calls[:3]:
            call.hang_up()
            agent.wait_for("disconnected")
        agent.command("calls")
        assert agent.wait_for("calls")["count"] == 0
        ended = [e for e in agent.drain() if e["event"] == "disconnected"]
        assert all(e["by_remote"] for e in ended), ended
    finally:
        for call in calls:
            call.close()


def test_call_detached_from_pjsua2_is_ended_not_left_in_progress(start_agent) -> None:
    """Safety net: a call pjsua2 stops reporting to us is ended (BYE) and reported ended."""
    agent = start_agent(sip=AGENT_SIP)
    call = RawCall(agent.port)
    try:
        call.probe.send(call.invite_bytes())
        call.confirm()
        tag = agent.wait_for("state", state="CONFIRMED")["call"]
        agent.command("orphan")
        agent.wait_for("orphaned")
        gone = agent.wait_for("disconnected", timeout_s=5.0)
        assert gone["call"] == tag and gone["reason"] == "Lost" and gone["by_remote"] is False
        call.listen(1.0)
        assert [r for r in call.requests if r.startswith("BYE")], call.requests
        agent.command("calls")
        assert agent.wait_for("calls")["count"] == 0
    finally:
        call.close()


def sipp_counter(stdout: str, label: str) -> int:
    rows = [line for line in stdout.splitlines() if line.strip().startswith(label)]
    return int(rows[-1].split("|")[2].split()[0])


@pytest.mark.slow
def test_waves_of_sipp_calls_reuse_slots_then_a_thirteenth(start_agent, tmp_path: Path) -> None:
    """3 waves of 4 sipp calls (slots reused back to back), then a 13th: all end, none left."""
    sipp = sipp_path()
    # sipp's bursts from one address: lift the per-source cap on unconfirmed calls.
    agent = start_agent(sip={"no_media_timeout_s": 5.0, "unconfirmed_per_source_count": 4})
    scenario = tmp_path / "short.xml"
    scenario.write_text(SHORT_UAC)

    def run(calls: int, limit: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sipp, f"127.0.0.1:{agent.port}", "-sf", str(scenario), "-s", "ivr",
             "-i", "127.0.0.1", "-p", str(free_port()), "-m", str(calls), "-l", str(limit),
             "-r", "100", "-timeout", "40", "-timeout_error", "-nostdin"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )

    proc = run(12, 4)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-1000:]
    assert sipp_counter(proc.stdout, "Successful call") == 12
    proc = run(1, 1)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-1000:]
    deadline = time.monotonic() + 10
    ended: list[dict] = []
    while time.monotonic() < deadline and len(ended) < 13:
        ended = [e for e in agent.drain() if e["event"] == "disconnected"]
        time.sleep(0.1)
    assert len(ended) == 13 and all(e["by_remote"] for e in ended), ended
    confirmed = [e for e in agent.drain() if e["event"] == "state" and e["state"] == "CONFIRMED"]
    assert len(confirmed) == 13
    agent.command("calls")
    assert agent.wait_for("calls")["count"] == 0


# A short call: INVITE, 200, ACK, one second of talk (no RTP needed), BYE. sipp runs up to 4 at
# once and starts the next as soon as one ends, so its INVITE often meets the previous BYE.
SHORT_UAC = uac_scenario("short uac", [pause(1000)])
