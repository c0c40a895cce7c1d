"""One admin endpoint for `ivr serve --workers 2` (real agents behind Kamailio): /metrics adds
up every worker's counters (prometheus_client multiprocess mode) and moves with sipp calls,
including the 486 a full worker answers inside pjsua; /health names the front and each worker
and goes 503 while the set drains. ~40 s (a fresh data directory renders the prompts)."""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request

import pytest
from scale_harness import free_port_block, run_sipp, serve_cluster, sipp_background

pytestmark = [pytest.mark.sip, pytest.mark.slow]


def _get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    status, text = _get(port, "/metrics")
    assert status == 200
    found = {}
    for family in text_string_to_metric_families(text.decode()):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def _total(samples: dict, name: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (n, lab), v in samples.items() if n == name and want <= set(lab))


def _wait(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.25)


def test_one_endpoint_counts_the_whole_set_and_goes_503_while_draining(tmp_path):
    admin = free_port_block(1)
    extra = ["--admin-port", str(admin), "--set", "sip.max_calls_count=1",
             "--set", "sip.drain_timeout_s=8"]
    with serve_cluster(tmp_path, workers=2, port_offset=37, extra=extra) as c:
        def healthy():
            status, body = _get(admin, "/health")
            return status == 200 and json.loads(body)

        body = _wait(healthy, 10, f"/health never 200: {_get(admin, '/health')}")
        assert {"draining", "front", "worker 1", "worker 2"} <= set(body["checks"]), body
        # three calls at once on two one-line workers: two answered, one refused with 486
        result = run_sipp(c.sip_port, calls=3, limit=3, rate=20, hold_ms=2500, timeout_s=40)
        assert result.returncode != 0  # sipp counts the refused call as failed
        samples = _wait(lambda: (s := _samples(admin)) and _total(s, "ivr_calls_total") >= 2
                        and s, 30, f"calls never counted: {c.log()[-3000:]}")
        print({k: v for k, v in samples.items() if k[0].startswith("ivr_")})
        assert _total(samples, "ivr_calls_total") == 2
        assert _total(samples, "ivr_calls_rejected_total", code="486") >= 1
        assert _total(samples, "ivr_prompt_plays_total", prompt="greeting") == 2
        assert _total(samples, "ivr_calls_in_progress") == 0
        assert ("ivr_journal_depth", ()) in samples and ("ivr_sla_overdue_tickets", ()) in samples
        assert "refused INVITE with 486" in c.log()
        # a drain: /health says 503 and why while the call in progress is ended politely
        with sipp_background(c.sip_port, 1, 1, 1, 20000, timeout_s=40):
            _wait(lambda: _total(_samples(admin), "ivr_calls_in_progress") == 1, 15,
                  "the held call never showed as in progress")
            c.proc.send_signal(signal.SIGTERM)

            def draining():
                status, body = _get(admin, "/health")
                return status == 503 and json.loads(body)

            body = _wait(draining, 10, "/health never went 503 during the drain")
            assert "draining" in body["failing"], body
