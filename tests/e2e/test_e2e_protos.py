"""The whole PROTOS c07-sip suite (4,527 cases) against the real agent (`ivr serve`).

Before issue 11, case 3631 (an SDP connection address of 254+ characters) aborted the process
on a PJSIP assertion. Every case is sent, in batches; after each batch the agent must still be
running and answer a valid call from another address. The PROTOS source is listed as trusted so
that the flood limits (tests/sip/test_sip_ack_flood.py) do not refuse it after its first
un-ACKed INVITEs: every case reaches the call layer. Runtime: see the module's timing print
(about 2 minutes here on 2 busy cores).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from e2ekit import OPEN_HOURS
from protos import ProtosSender, case_files

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sip"))
from test_sip_robustness import call_until_answered

pytestmark = [pytest.mark.sip, pytest.mark.slow]

BATCH_COUNT = 250  # cases between two liveness checks
PACE_S = 0.004  # between two cases: fast, but the agent's UDP buffer is not overrun
PROTOS_HOST = "127.0.0.2"
AGENT_TIMERS = ["sip.ack_timeout_s=0.5", "sip.transaction_timeout_s=2.0",
                f'sip.trusted_sources=["{PROTOS_HOST}"]']


def run_cases(agent_port: int, alive, files: list[Path], target_port: int | None = None
              ) -> dict[str, object]:
    """Send ``files``; after every batch the agent (``alive()``) answers a valid call."""
    sender = ProtosSender("127.0.0.1", target_port or agent_port, PROTOS_HOST)
    started = time.monotonic()
    checks = []
    try:
        for start in range(0, len(files), BATCH_COUNT):
            for path in files[start : start + BATCH_COUNT]:
                sender.send_case(path)
                sender.pump()
                time.sleep(PACE_S)
            sender.pump(0.3)
            assert alive(), f"agent died in cases {files[start].name}..{path.name}"
            t = time.monotonic()
            code = call_until_answered(agent_port, "udp", within_s=15.0)
            checks.append(time.monotonic() - t)
            assert code == 200, f"no valid call answered after case {path.name} ({code})"
        sender.pump(1.0)
    finally:
        sender.close()
    elapsed = time.monotonic() - started
    result = {"cases": len(files), "seconds": round(elapsed, 1), "sent": sender.stats.sent,
              "too_big": sender.stats.too_big, "answered": sender.stats.answered,
              "responses": dict(sorted(sender.stats.responses.items())),
              "slowest_check_s": round(max(checks), 2)}
    print(f"PROTOS c07-sip: {result}")
    return result


def test_all_protos_cases_against_ivr_serve(start_agent) -> None:
    files = case_files()
    if len(files) < 4527:
        pytest.skip(f"PROTOS c07-sip cases not found (got {len(files)})")
    agent = start_agent(overrides=[*OPEN_HOURS, *AGENT_TIMERS], extra=["--no-asr"])
    result = run_cases(agent.port, agent.proc.alive, files)
    assert result["sent"] >= 2 * 4527 - 2 * int(result["too_big"])  # type: ignore[operator]
    assert agent.proc.alive()
    assert "Traceback" not in "\n".join(agent.proc.lines)


def test_unacked_invites_leave_no_timeline_behind(start_agent) -> None:
    """Issue 11 item 6: each forged, never-ACKed INVITE used to leave a calls/*.json behind;
    a flood filled the disk with them. Only calls that were really set up get one."""
    import uuid

    from rawsip import SipProbe

    agent = start_agent(overrides=[*OPEN_HOURS, "sip.ack_timeout_s=0.5",
                                   "sip.transaction_timeout_s=2.0"], extra=["--no-asr"])
    calls_dir = agent.data_dir / "calls"
    before = set(calls_dir.glob("*.json")) if calls_dir.exists() else set()
    probe = SipProbe(agent.port, "udp", "127.0.0.1", local_host="127.0.0.3")
    for _ in range(2):
        probe.send(probe.request("INVITE", call_id=uuid.uuid4().hex, cseq=1, body=probe.sdp()))
    probe.close()
    time.sleep(3.0)  # ACK timeout, hang-up, session end
    assert call_until_answered(agent.port, "udp", within_s=10.0) == 200
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        new = set(calls_dir.glob("*.json")) - before if calls_dir.exists() else set()
        if new:
            break
        time.sleep(0.2)
    time.sleep(0.5)
    new = set(calls_dir.glob("*.json")) - before
    assert len(new) == 1, sorted(p.name for p in new)  # the real call's, not the forged two


# Behind Kamailio: a smaller run (the 254-character address cases and every 10th other case,
# 561 cases) against `ivr serve --workers 2`; the front is the tests/scale harness's. ~50 s.
CRASH_CASES = range(3600, 3720)


def _front_call(front_port: int) -> int:
    """A valid call through the record-routing front (ACK and BYE follow the Route set)."""
    import re
    import uuid

    from rawsip import SipProbe

    probe = SipProbe(front_port, "udp")
    try:
        call_id = uuid.uuid4().hex
        probe.send(probe.request("INVITE", call_id=call_id, cseq=1, body=probe.sdp()))
        final = probe._final(call_id, "INVITE", 8.0)
        if final is None or final.code != 200:
            return final.code if final else 0
        head = final.raw.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
        routes = re.findall(r"\r\nRecord-Route: *([^\r\n]+)", head)
        route = f"Route: {', '.join(routes)}" if routes else ""
        tag = final.headers.get("to", "").partition(";tag=")[2].split(";")[0]
        probe.send(probe.request("ACK", call_id=call_id, cseq=1, to_tag=tag, extra=route))
        probe.send(probe.request("BYE", call_id=call_id, cseq=2, to_tag=tag, extra=route))
        return 200
    finally:
        probe.close()


def test_protos_cases_through_kamailio_and_two_workers(tmp_path) -> None:
    import shutil

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scale"))
    from scale_harness import serve_cluster

    if shutil.which("kamailio") is None:
        pytest.skip("kamailio is not installed")
    files = case_files()
    if len(files) < 4527:
        pytest.skip(f"PROTOS c07-sip cases not found (got {len(files)})")
    chosen = [p for p in files if int(p.name) in CRASH_CASES or int(p.name) % 10 == 0]
    extra = ["--set", f'scale.trusted_sources=["{PROTOS_HOST}"]',
             "--set", f'sip.trusted_sources=["{PROTOS_HOST}"]',
             "--set", "sip.ack_timeout_s=0.5", "--set", "sip.transaction_timeout_s=2.0",
             "--set", "scale.probe_interval_s=2"]
    with serve_cluster(tmp_path, workers=2, port_offset=31, extra=extra) as cluster:
        def alive() -> bool:
            return cluster.proc.poll() is None and "exited with signal" not in cluster.log()

        sender = ProtosSender("127.0.0.1", cluster.sip_port, PROTOS_HOST)
        started = time.monotonic()
        try:
            for start in range(0, len(chosen), BATCH_COUNT):
                for path in chosen[start : start + BATCH_COUNT]:
                    sender.send_case(path)
                    sender.pump()
                    time.sleep(PACE_S)
                sender.pump(0.5)
                assert alive(), (f"a process died in {chosen[start].name}..:\n"
                                 f"{cluster.log()[-3000:]}")
                deadline = time.monotonic() + 20.0
                code = _front_call(cluster.sip_port)
                while code != 200 and time.monotonic() < deadline:
                    time.sleep(0.5)
                    code = _front_call(cluster.sip_port)
                assert code == 200, f"no call answered through the front after {path.name}"
        finally:
            sender.close()
        print(f"PROTOS via Kamailio: {len(chosen)} cases in {time.monotonic() - started:.1f} s, "
              f"responses {dict(sorted(sender.stats.responses.items()))}")
        assert alive()
