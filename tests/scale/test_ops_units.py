"""Pure parts of /health and the 486 guard: named checks, heartbeats, To-tag detection."""

from __future__ import annotations

import time

from ivr.ops.health import (
    Check,
    health_response,
    read_heartbeat,
    run_checks,
    write_heartbeat,
)
from ivr.sip.guard import to_tag_present


def test_health_is_503_naming_every_failing_check_and_a_raising_check_fails():
    def broken() -> Check:
        raise RuntimeError("boom")

    checks = run_checks([lambda: Check("sip", True, "taking calls"),
                         lambda: Check("tickets_db", False, "locked"), broken])
    status, body = health_response(checks, calls=2)
    assert status == 503
    assert body["failing"] == ["tickets_db", "broken"]
    assert body["checks"]["tickets_db"] == {"ok": False, "detail": "locked"}
    assert body["calls"] == 2
    assert health_response([Check("sip", True)])[0] == 200


def test_a_worker_heartbeat_is_down_when_missing_stale_or_failing(tmp_path):
    path = tmp_path / "worker-1.health.json"
    assert not read_heartbeat(path, "worker 1").ok
    write_heartbeat(path, 200, {"calls": 3, "failing": []})
    assert read_heartbeat(path, "worker 1") == Check("worker 1", True, "3 call(s)")
    assert not read_heartbeat(path, "worker 1", now=time.time() + 60).ok
    write_heartbeat(path, 503, {"failing": ["journal"]})
    assert read_heartbeat(path, "worker 1").detail == "failing: journal"


def test_to_tag_tells_a_new_invite_from_a_re_invite():
    new = b"INVITE sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\n\r\n"
    again = b"INVITE sip:a@b SIP/2.0\r\nt: <sip:a@b>; tag=9\r\nFrom: <sip:c@d>;tag=1\r\n\r\n"
    assert not to_tag_present(new)
    assert to_tag_present(again)


def test_json_log_lines_and_a_workers_json_line_passed_on_not_rewrapped():
    import json
    import logging

    from ivr.ops.jsonlog import JsonFormatter

    fmt = JsonFormatter()
    plain = logging.LogRecord("ivr.x", logging.WARNING, __file__, 1, "call %s", ("ab12",), None)
    entry = json.loads(fmt.format(plain))
    assert entry["msg"] == "call ab12" and entry["level"] == "WARNING" and entry["ts"]
    inner = json.dumps({"ts": "t", "level": "INFO", "logger": "ivr.sip", "msg": "ready"})
    child = logging.LogRecord("ivr.scale.supervisor.child", logging.INFO, __file__, 1,
                              "[%s] %s", ("worker 2", inner), None)
    assert json.loads(fmt.format(child)) == {**json.loads(inner), "child": "worker 2"}
    kamailio = logging.LogRecord("ivr.scale.supervisor.child", logging.INFO, __file__, 1,
                                 "[%s] %s", ("front", " 0(1) NOTICE: {x}"), None)
    assert json.loads(fmt.format(kamailio))["msg"] == "[front]  0(1) NOTICE: {x}"
