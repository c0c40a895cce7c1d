"""Kamailio front + supervised workers, real SIP over loopback (sipp and raw UDP callers).

Workers: the pjsua2 stand-in (same wheel and 4-call cap as `ivr serve`) unless
IVR_SCALE_WORKER=serve. Call counts are kept small for the 180 s budget of tests/scale/.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import time
import uuid

import pytest
from scale_harness import (
    cluster,
    header,
    run_sipp,
    sdp,
    serve_cluster,
    sip_request,
    sipp_background,
    status_code,
)

pytestmark = [
    pytest.mark.sip,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp (Debian sip-tester) missing"),
    pytest.mark.skipif(shutil.which("kamailio") is None and not os.path.exists(
        "/usr/sbin/kamailio"), reason="kamailio missing"),
]

SPREAD_CALLS = 60  # the issue asks 300; 60 at 12 at once keeps this test near 10 s
SPREAD_LIMIT = 12


def test_calls_spread_over_all_workers(tmp_path):
    with cluster(tmp_path, workers=3) as c:
        result = run_sipp(c.sip_port, calls=SPREAD_CALLS, limit=SPREAD_LIMIT, rate=8,
                          hold_ms=1000, timeout_s=60)
        assert result.returncode == 0, result.stderr.decode()[-2000:]
        counts = c.answered_by()
        assert sum(counts.values()) == SPREAD_CALLS
        assert set(counts) == {c.worker_port(k) for k in (1, 2, 3)}
        # round-robin: every worker takes a fair share (exactly 20 each when nothing fails)
        assert min(counts.values()) >= SPREAD_CALLS // 3 - 4, counts
    assert c.proc.returncode == 0


def test_ivr_serve_workers_behind_kamailio(tmp_path):
    """The real thing: `ivr serve --workers 3` (front + three agents), calls spread.

    No --front: scale.front chooses Kamailio; the worker ports and the front's limits come
    from the [scale] settings (here through --set, which the workers also receive).
    """
    scale = ["--set", "scale.probe_interval_s=3", "--set", 'scale.trusted_sources=["192.0.2.1"]']
    with serve_cluster(tmp_path, workers=3, port_offset=23, extra=scale) as c:
        c.wait_for(r"front: kamailio on 127\.0\.0\.1:\d+ over 3 worker\(s\); probe every 3 s"
                   r".*trusted: 192\.0\.2\.1", 5)
        c.wait_for(rf"worker 3: started pid \d+ on port {c.sip_port + 26}", 5)
        result = run_sipp(c.sip_port, calls=24, limit=12, rate=8, hold_ms=1500, timeout_s=60)
        assert result.returncode == 0, (result.stderr.decode()[-2000:], c.log()[-6000:])
        counts = c.answered_by()
        assert set(counts) == {c.worker_port(k) for k in (1, 2, 3)}, (counts, c.log()[-6000:])
        assert sum(counts.values()) == 24
        c.wait_for(r"\[worker \d\] call \w+ from", 20, count=24)  # the agents' own lines
    log = c.log()
    assert "all children stopped" in log
    for k in (1, 2, 3):
        assert re.search(rf"worker {k}: pid \d+ exited with code 0", log), log[-3000:]


def test_failover_kill_worker_mid_run(tmp_path):
    extra = ["--probe-interval-s", "2", "--restart-initial-s", "4"]
    with cluster(tmp_path, workers=3, extra=extra) as c:
        victim = 2
        victim_port = c.worker_port(victim)
        with sipp_background(c.sip_port, 84, 12, 4, 1000, timeout_s=60) as sipp:
            c.wait_for(rf"answered by 127\.0\.0\.1:{victim_port}", 20, count=2)
            old_pid = c.worker_pid(victim)
            os.kill(old_pid, signal.SIGKILL)
            killed_at = time.monotonic()
            # the front notices by a failed OPTIONS probe or a timed-out INVITE, whichever first
            c.wait_for(rf"worker down .*127\.0\.0\.1:{victim_port}|worker sip:127\.0\.0\.1:"
                       rf"{victim_port};transport=udp timed out", 15)
            down_after_s = time.monotonic() - killed_at
            answered_before_restart = c.answered_by().get(victim_port, 0)
            c.wait_for(rf"worker 2: pid {old_pid} exited with signal SIGKILL.*restart in 4\.0 s",
                       5)
            c.wait_for(r"worker 2: started pid", 15, count=2)
            assert c.worker_pid(victim) != old_pid
            c.wait_for(rf"worker up .*127\.0\.0\.1:{victim_port}", 15)
            sipp.wait(70)
            stderr = sipp.stderr.read().decode() if sipp.stderr else ""
        print(f"front marked the killed worker down {down_after_s:.1f} s after kill -9")
        assert down_after_s < 10.0
        counts = c.answered_by()
        # the restarted worker takes calls again
        assert counts.get(victim_port, 0) > answered_before_restart, counts
        # only calls that were up on the killed worker may fail (at most its 4 slots)
        failed = 84 - sum(counts.values())
        assert sipp.returncode in (0, 1), stderr[-2000:]
        assert failed <= 4, (counts, stderr[-2000:])


def test_overload_thirteenth_call_gets_busy_fast(tmp_path):
    with cluster(tmp_path, workers=3) as c:
        with sipp_background(c.sip_port, 12, 12, 12, 8000, timeout_s=40) as sipp:
            c.wait_for(r"answered by", 15, count=12)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.0.0.1", 0))
                s.settimeout(0.5)
                local = s.getsockname()
                call_id = uuid.uuid4().hex
                branch = "z9hG4bK" + uuid.uuid4().hex[:12]
                invite = sip_request("INVITE", c.sip_port, local, call_id, body=sdp(*local),
                                     branch=branch)
                started = time.monotonic()
                s.sendto(invite, ("127.0.0.1", c.sip_port))
                final, data = 0, b""
                while time.monotonic() - started < 20 and final < 200:
                    try:
                        data, _ = s.recvfrom(65535)
                    except TimeoutError:
                        if time.monotonic() - started > 1.0:  # retransmit like a UA
                            s.sendto(invite, ("127.0.0.1", c.sip_port))
                        continue
                    final = status_code(data)
                elapsed = time.monotonic() - started
                if final >= 300:  # ACK the negative answer (same branch, hop by hop)
                    ack = sip_request("ACK", c.sip_port, local, call_id, branch=branch,
                                      to_tag=header(data, "To").partition("tag=")[2])
                    s.sendto(ack, ("127.0.0.1", c.sip_port))
            sipp.wait(40)
        print(f"13th call: {final} after {elapsed:.2f} s")
        assert final in (486, 503), data.decode(errors="replace")
        # a busy answer, well before a SIP transaction timeout (32 s) would end the call
        assert elapsed < 10.0
        assert sipp.returncode == 0  # the 12 held calls all completed
        assert sum(c.answered_by().values()) == 12


def _flood(port: int, source: str, burst: int) -> tuple[int, bool]:
    """``burst`` OPTIONS from ``source`` as fast as possible: (200s received, answered after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind((source, 0))
        local = s.getsockname()
        for i in range(burst):
            msg = sip_request("OPTIONS", port, local, f"flood{i}-{uuid.uuid4().hex}",
                              uri=f"sip:127.0.0.1:{port}")
            s.sendto(msg, ("127.0.0.1", port))
        replies = 0
        s.settimeout(1.0)
        try:
            while True:
                data, _ = s.recvfrom(65535)
                replies += status_code(data) == 200
        except TimeoutError:
            pass
        # one more polite OPTIONS: answered unless the source is banned
        s.settimeout(2.0)
        s.sendto(sip_request("OPTIONS", port, local, uuid.uuid4().hex,
                             uri=f"sip:127.0.0.1:{port}"), ("127.0.0.1", port))
        try:
            answered_after = status_code(s.recvfrom(65535)[0]) == 200
        except TimeoutError:
            answered_after = False
    return replies, answered_after


def test_flood_is_banned_unless_trusted_while_other_caller_gets_through(tmp_path):
    """scale.trusted_sources exempts 127.0.0.2 from pike; 127.0.0.3 is banned for the same."""
    trusted = ["--set", 'scale.trusted_sources=["127.0.0.2", "2001:db8::/32"]',
               "--set", "scale.ban_s=120"]
    burst = 200
    with cluster(tmp_path, workers=2, extra=trusted) as c:
        c.wait_for(r"trusted: 127\.0\.0\.2, 2001:db8::/32", 5)
        replies, after = _flood(c.sip_port, "127.0.0.2", burst)
        print(f"trusted flood: {replies} of {burst} OPTIONS answered")
        assert after and replies >= burst * 0.9  # UDP on a loaded host may drop a few
        # trusted means exempt from pike only: the method list still applies
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.2", 0))
            s.settimeout(3.0)
            s.sendto(sip_request("REGISTER", c.sip_port, s.getsockname(), uuid.uuid4().hex),
                     ("127.0.0.1", c.sip_port))
            assert status_code(s.recvfrom(65535)[0]) == 405

        replies, after = _flood(c.sip_port, "127.0.0.3", burst)
        print(f"untrusted flood: {replies} of {burst} OPTIONS answered before the ban")
        assert 0 < replies < burst // 2 and not after
        c.wait_for(r"flood from 127\.0\.0\.3, banned for 120 s", 5)
        assert "flood from 127.0.0.2" not in c.log()
        # a caller from another source address is served normally, and so is the trusted one
        for source in ("127.0.0.4", "127.0.0.2"):
            result = run_sipp(c.sip_port, calls=1, limit=1, rate=1, hold_ms=500,
                              local_ip=source, timeout_s=20)
            assert result.returncode == 0, (source, result.stderr.decode()[-2000:])
        assert sum(c.answered_by().values()) == 2


def test_refused_methods_and_drain_on_sigterm(tmp_path):
    with cluster(tmp_path, workers=2) as c:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.settimeout(3.0)
            local = s.getsockname()
            for method in ("REGISTER", "SUBSCRIBE", "MESSAGE", "PUBLISH"):
                s.sendto(sip_request(method, c.sip_port, local, uuid.uuid4().hex),
                         ("127.0.0.1", c.sip_port))
                data, _ = s.recvfrom(65535)
                assert status_code(data) == 405, (method, data[:200])
                assert "INVITE" in header(data, "Allow")
            # A legitimate INVITE with many codecs, over the 4,000 bytes the workers' PJSIP can
            # hold (PJSIP_MAX_PKT_LEN is compiled into the wheel): told 513, never silently lost.
            codecs = "".join(f"a=rtpmap:{96 + i % 30} X-CODEC-{i}/8000\r\n" for i in range(160))
            body = sdp("127.0.0.1", 40000) + codecs
            big = sip_request("INVITE", c.sip_port, local, uuid.uuid4().hex, body=body)
            assert len(big) > 5000
            s.sendto(big, ("127.0.0.1", c.sip_port))
            data, _ = s.recvfrom(65535)
            assert status_code(data) == 513, data[:200]
        with sipp_background(c.sip_port, 2, 2, 10, 3000, timeout_s=30) as sipp:
            c.wait_for(r"answered by", 10, count=2)
            started = time.monotonic()
            c.proc.send_signal(signal.SIGTERM)
            c.wait_for(r"SIGTERM: draining 2 worker", 5)
            # calls in progress finish through the front while the workers drain
            sipp.wait(30)
            assert sipp.returncode == 0
            c.proc.wait(30)
            print(f"drained and stopped in {time.monotonic() - started:.1f} s")
        assert c.proc.returncode == 0
        log = c.log()
        assert "all children stopped" in log
        for k in (1, 2):  # the workers drained and exited cleanly, nobody was killed
            assert re.search(rf"worker {k}: pid \d+ exited with code 0", log), log[-3000:]
        assert log.index("worker 1: pid") < log.index("front: pid")  # front stops last
