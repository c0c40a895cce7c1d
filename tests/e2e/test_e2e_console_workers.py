"""One console for a whole `ivr serve --workers 2 --admin-port P` set: the supervisor's admin
port serves the console (the same app as `ivr console`) on the set's ticket database beside
/health and /metrics; its live-calls page shows calls on both workers; a settings apply there
reaches every worker once (the supervisor forwards SIGHUP). Signed in over plain HTTP (httpx).
Runtime: ~25 s after the session's prompt render (two real agents, two sipp calls)."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from e2ekit import OPEN_HOURS, Proc, free_port, ivr_argv
from test_e2e_signals import _config_with

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scale"))
from scale_harness import _udp_free, free_port_block, sipp_background

pytestmark = [pytest.mark.sip, pytest.mark.slow]

OFFSET = 41  # scale.worker_port_offset_count: worker k on SIP port + OFFSET + k
PASSWORD = "admin-pass-123"


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page[:2000]
    return match.group(1)


def _wait(predicate, timeout_s: float, what):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, what() if callable(what) else what
        time.sleep(0.25)


def _health(base: str) -> int:
    try:
        return httpx.get(base + "/health", timeout=5).status_code
    except httpx.HTTPError:
        return 0


def test_the_supervisors_admin_port_serves_one_console_for_every_worker(
    tmp_path, e2e_env, e2e_data_dir
):
    from ivr.config import load_settings
    from ivr.console import settings_edit as se

    if subprocess.run(["which", "sipp"], capture_output=True).returncode != 0:
        pytest.skip("sipp (Debian sip-tester) is not installed")
    config = _config_with(tmp_path / "ivr.toml")  # the apply below rewrites this copy
    db = f"sqlite:///{tmp_path / 'tickets.db'}"
    added = subprocess.run(
        ivr_argv("users", "add", "ada", "--role", "admin", "--password-stdin", "--db", db),
        input=PASSWORD + "\n", capture_output=True, text=True, env=e2e_env, timeout=60)
    assert added.returncode == 0, added.stderr
    for _ in range(50):
        sip_port = free_port_block(1)
        if all(_udp_free(sip_port + OFFSET + k) for k in (1, 2)):
            break
    admin = free_port()
    argv = ivr_argv("-v", "--config", str(config), "serve", "--workers", "2", "--bind", "127.0.0.1",
                    "--sip-port", str(sip_port), "--admin-port", str(admin), "--db", db,
                    "--no-asr", "--set", f"scale.worker_port_offset_count={OFFSET}",
                    "--set", "sip.unconfirmed_per_source_count=4",
                    "--set", "sip.max_calls_count=1")  # one call each: two calls, two workers
    for item in OPEN_HOURS:
        argv += ["--set", item]
    serve = Proc(argv, e2e_env, tmp_path / "serve.log")
    base = f"http://127.0.0.1:{admin}"
    try:
        for k in (1, 2):
            assert serve.wait_for(lambda ln, k=k: f"[worker {k}] ready" in ln, 90), serve.tail()
        _wait(lambda: _health(base) == 200, 20, lambda: serve.tail())

        with httpx.Client(base_url=base, timeout=10) as client:
            assert client.get("/desk").status_code in (302, 303)  # not without a session
            token = _csrf(client.get("/login").text)
            signed = client.post("/login", data={"csrf": token, "username": "ada",
                                                 "password": PASSWORD, "next": "/desk"})
            assert signed.status_code == 303, signed.text[:2000]
            desk = client.get("/desk")
            assert desk.status_code == 200 and "<h1>工单队列</h1>" in desk.text, desk.text[:2000]
            assert client.get("/live").status_code == 200

            # Two calls at once through the front: one on each one-line worker, both on the page.
            with sipp_background(sip_port, 2, 2, 20, 8000, timeout_s=40):
                def two_workers():
                    rows = client.get("/live/rows").text
                    calls = re.findall(r'<tr class="live-call">(.*?)</tr>', rows, re.S)
                    ports = {re.findall(r"<td>([^<]*)</td>", c)[-1] for c in calls}
                    return len(calls) == 2 and ports
                ports = _wait(two_workers, 20, lambda: client.get("/live/rows").text)
            assert ports == {str(sip_port + OFFSET + 1), str(sip_port + OFFSET + 2)}

            # A settings apply here reloads every worker, each once.
            page = client.get("/admin/settings").text
            fields = se.form_fields(load_settings(str(config)))
            form = {f.name: ("on" if f.value else "") if f.kind == "bool" else str(f.value)
                    for f in fields}
            form = {k: v for k, v in form.items() if v != ""}
            mark = len(serve.lines)
            applied = client.post("/admin/settings", data={
                **form, "silent_call.after_greeting_s": "4.0", "csrf": _csrf(page),
                "op": "apply"})
            text = html.unescape(applied.text)
            assert 'id="applied"' in text, text[-3000:]
            assert "after_greeting_s = 4.0" in config.read_text()
            # Only the supervisor is signalled (the workers' pid files name its children): it
            # forwards SIGHUP, so no worker is told twice.
            told = re.search(r"已通知重新加载的进程数: (\d+)", text)
            assert told and told.group(1) == "1", text[-3000:]
            for k in (1, 2):
                assert serve.wait_for(lambda ln, k=k: f"[worker {k}] reloaded" in ln, 20,
                                      mark), serve.tail()
            time.sleep(1.0)
            reloads = [ln for ln in serve.lines[mark:] if "] reloaded" in ln]
            assert len(reloads) == 2, reloads  # not twice each
            form_after = html.unescape(client.get("/admin/settings").text)
            assert 'id="silent_call.after_greeting_s" value="4.0"' in form_after
        assert _health(base) == 200
    finally:
        serve.stop()
