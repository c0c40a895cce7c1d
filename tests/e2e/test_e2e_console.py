"""Screen pop over a REAL SIP transfer: `ivr call` (pjsua2 caller) presses the person digit,
`ivr serve` opens a ticket and REFERs the call to `ivr desk` with X-Ticket-Id; the console that
the same `ivr serve` serves on its --admin-port pushes the ticket over SSE to the queue's agent,
signed in in headless Chromium. The user is made with `ivr users add` on the agent's database.
Runtime: ~25 s after the session's prompt render (agent start, one call, browser)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from e2ekit import OPEN_HOURS, BackgroundCall, Proc, free_port, ivr_argv, launch_agent

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "console"))

from browserkit import chrome, screenshot, sign_in, wait_for

pytestmark = [pytest.mark.sip, pytest.mark.slow]


def test_agent_sees_the_transferred_calls_ticket_pop_up(tmp_path, e2e_env, e2e_data_dir):
    import subprocess

    from selenium.webdriver.common.by import By

    driver = chrome()  # skips before anything starts when Chromium is missing
    started: list[Proc] = []
    try:
        desk_port = free_port()
        desk = Proc(ivr_argv("desk", "--sip-port", str(desk_port), "--json", "--hold-s", "2"),
                    e2e_env, tmp_path / "desk.log")
        started.append(desk)
        overrides = [*OPEN_HOURS, f"transfer.queues.default=sip:desk@127.0.0.1:{desk_port}"]
        agent = launch_agent(started, tmp_path, e2e_env, e2e_data_dir, overrides, None, None, [])
        settings = agent.settings()
        added = subprocess.run(
            ivr_argv("users", "add", "ann", "--role", "agent", "--password-stdin",
                     "--department", settings.transfer.default_queue, "--db", agent.db_url),
            input="agent-pass-123\n", capture_output=True, text=True, env=e2e_env, timeout=60,
        )
        assert added.returncode == 0, added.stderr
        base = f"http://127.0.0.1:{agent.admin_port}"
        assert agent.health()["accepting"] is True  # the agent's /health on the same port
        sign_in(driver, base, "ann", "agent-pass-123")
        wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete",
                 10)
        time.sleep(0.5)  # EventSource connected

        call = BackgroundCall(agent.uri, e2e_env, max_s=40,
                              dtmf=[(settings.menu.person_digit, 1.5)])
        incoming = desk.wait_for(lambda ln: '"incoming"' in ln, 60)
        assert incoming is not None, desk.tail()
        ticket = json.loads(incoming)["ticket"]
        assert ticket
        card = wait_for(driver, lambda d: d.find_elements(By.ID, f"pop-{ticket}"), 15)
        assert ticket in card[0].text
        screenshot(driver, "08-real-transfer-pop")
        driver.find_element(By.ID, "pop-open").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "ticket-id"), 10)
        assert driver.find_element(By.ID, "ticket-id").text == ticket
        assert call.get(60).code == 0
    finally:
        driver.quit()
        for proc in reversed(started):
            proc.stop()


def test_admin_applies_a_timer_in_the_browser_and_the_next_call_uses_it(
    start_agent, e2e_env, e2e_data_dir, tmp_path, monkeypatch
):
    """silent_call.after_greeting_s 5 -> 2 and no menu, changed in the console's settings form:
    the file is rewritten, the running agent gets SIGHUP and reloads, and the next real call's
    silence timer fires 2 s after the greeting; during that call the live-calls page shows it.
    Runtime: ~25 s."""
    from selenium.webdriver.common.by import By
    from test_e2e_signals import TIMER_TOLERANCE_S, _config_with, step_index

    from ivr.console.app import build_console, create_app
    from ivr.console.auth import hash_password
    from ivr.console.server import BackgroundServer
    from ivr.media.prompt_library import PromptLibrary

    config = _config_with(tmp_path / "ivr.toml")
    # The console finds the agents' pid files (for SIGHUP) in the data directory they share.
    monkeypatch.setenv("IVR_DATA_DIR", str(e2e_data_dir))
    driver = chrome()
    agent = start_agent(overrides=OPEN_HOURS, config=config)
    settings = agent.settings()
    console = build_console(settings, agent.db_url)
    server = None
    try:
        console.store.add_user("ada", "admin", hash_password("admin-pass-123"), console.clock())
        server = BackgroundServer(create_app(console), "127.0.0.1", free_port()).start()
        base = f"http://127.0.0.1:{server.port}"
        sign_in(driver, base, "ada", "admin-pass-123")
        driver.get(base + "/admin/settings")
        field = driver.find_element(By.ID, "silent_call.after_greeting_s")
        field.clear()
        field.send_keys("2.0")
        menu = driver.find_element(By.ID, "greeting.menu_after_greeting")
        if menu.is_selected():
            menu.click()
        mark = len(agent.proc.lines)
        driver.find_element(By.ID, "settings-apply").click()
        wait_for(driver, lambda d: d.find_elements(By.ID, "applied"), 15)
        diff = driver.find_element(By.ID, "diff").text
        assert "+after_greeting_s = 2.0" in diff and "+menu_after_greeting = false" in diff
        screenshot(driver, "09-admin-settings-applied")
        assert agent.proc.wait_for(lambda ln: ln.startswith("reloaded"), 30, mark), \
            agent.proc.tail()

        with PromptLibrary(settings) as library:
            greeting_s = len(library.get(settings.service.default_locale, "greeting", 8000)) / 8000
        background = BackgroundCall(agent.uri, e2e_env, max_s=greeting_s + 4.0,
                                    extra=["--from-user", "13912345678"])
        # Meanwhile the live-calls page shows it (the agent's snapshot file, polled by htmx).
        driver.get(base + "/live")
        row = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "tr.live-call"), 15)
        assert "139****5678" in row[0].text
        screenshot(driver, "10-live-calls")
        call = background.get(60)
        assert call.code == 0, call.output[-2000:]
        line = agent.wait_call_line(timeout_s=10, start=mark)
        assert line is not None
        steps = agent.timeline(line)["timeline"]
        done = steps[step_index(steps, "PromptFinished(prompt_id=greeting")]
        fired = steps[step_index(steps, "TimerFired(name=ladder")]
        assert abs(fired["t"] - done["t"] - 2.0) <= TIMER_TOLERANCE_S, (done, fired)
        assert not any(s["what"].startswith("Play(prompt_id=menu") for s in steps)
        audit = console.store.audit_log()[0]
        assert audit.action == "settings.apply" and audit.after == {
            "greeting.menu_after_greeting": False, "silent_call.after_greeting_s": 2.0}
    finally:
        driver.quit()
        if server is not None:
            server.shutdown()
        console.tickets.shutdown()
