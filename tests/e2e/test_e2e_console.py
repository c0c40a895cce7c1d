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
