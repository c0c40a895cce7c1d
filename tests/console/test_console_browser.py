"""The console in a real browser (Debian's headless Chromium via Selenium): each role signs in,
works its pages, and a screen pop arrives over Server-Sent Events. One browser and one server
for the module; screenshots in tests/artifacts/console/. Runtime: ~15 s on 2 cores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from browserkit import browser_site, screenshot, sign_in, wait_for
from consolekit import NOW, PASSWORDS, ConsoleKit, open_ticket

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ConsoleKit, str, Any]]:
    yield from browser_site(tmp_path_factory.mktemp("console-browser"), poll_s=0.2)


def _seed_month(kit: ConsoleKit, tmp: Path) -> Any:
    from ivr.tickets import CallRecordDraft

    for i, reason in enumerate(["transferred", "normal", "normal", "silent", "caller_hangup"]):
        start = NOW - timedelta(days=40, minutes=i)  # October 2026: the last complete month
        kit.console.tickets.record_call(
            CallRecordDraft(call_id=f"oct{i}", answered_at=start,
                            ended_at=start + timedelta(seconds=45), end_reason=reason)
        )
    open_ticket(kit.console, "oct-t1", hours_ago=24 * 40, category="inquiry")
    wav = tmp / "rec.wav"
    import wave

    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(16000))
    calls = kit.console.settings.data_dir / "calls"
    calls.mkdir(parents=True, exist_ok=True)
    (calls / "c0ffee.json").write_text(json.dumps({"call_id": "c0ffee", "timeline": [
        {"t": 0.0, "kind": "event", "what": "Answered(ring_s=0.0)"},
        {"t": 0.5, "kind": "action", "what": "Play(prompt_id=greeting)"},
        {"t": 6.0, "kind": "event",
         "what": "LineReport(verdict=ok, level_dbfs=-24.0, noise_dbfs=-60.0, snr_db=36.0)"},
    ]}))
    return open_ticket(
        kit.console, "c0ffee:r1", hours_ago=70, caller_surname="王", caller_title="先生",
        summary="水费账单有误", transcript="我上个月的水费多收了一百元", department="default",
        recording_path=str(wav), level_dbfs=-24.0, noise_dbfs=-60.0, snr_db=36.0,
    )


def test_each_role_signs_in_and_sees_its_pages(site, tmp_path):
    from selenium.webdriver.common.by import By

    kit, base, driver = site
    ticket = _seed_month(kit, tmp_path)

    driver.get(base + "/desk")
    assert "/login" in driver.current_url
    screenshot(driver, "01-login")

    sign_in(driver, base, "ann", PASSWORDS["ann"])
    assert driver.current_url.endswith("/desk")
    assert ticket.short_id in driver.find_element(By.ID, "queue").text
    screenshot(driver, "02-agent-desk")
    driver.find_element(By.LINK_TEXT, ticket.short_id).click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "ticket-id"), 10)
    assert "我上个月的水费多收了一百元" in driver.page_source
    duration = wait_for(
        driver,
        lambda d: d.execute_script(
            "var a = document.getElementById('recording');"
            "return a && a.readyState >= 1 ? a.duration : null;"
        ),
        10,
    )
    assert abs(duration - 1.0) < 0.05  # 8000 samples at 8 kHz: the browser read the WAV
    driver.find_element(By.ID, "act-first_reply").click()
    # Opened 30 h ago with a 24 h promise: the reply is late, and the clock says so.
    wait_for(driver, lambda d: "首次回复超时" in d.find_element(By.ID, "sla").text, 10)
    screenshot(driver, "03-agent-ticket")
    driver.get(base + "/admin")
    assert "无权访问" in driver.find_element(By.ID, "error-message").text

    sign_in(driver, base, "max", PASSWORDS["max"])
    assert "/report" in driver.current_url
    assert driver.find_element(By.ID, "report-month").text == "2026-10"
    assert driver.find_element(By.ID, "calls-total").text == "5"
    assert "转人工" in driver.page_source and "来电方挂断" in driver.page_source
    screenshot(driver, "04-manager-report")
    # The seeded caller_hangup had no prompts: hung up in the greeting, abandoned (footnote 1).
    assert driver.find_element(By.ID, "abandoned").text == "1"
    notes = driver.find_element(By.ID, "footnotes")
    driver.execute_script("arguments[0].scrollIntoView()", notes)
    assert "得到服务之前" in notes.text and "月末" in notes.text
    screenshot(driver, "04-manager-report-footnotes")

    sign_in(driver, base, "ada", PASSWORDS["ada"])
    assert driver.current_url.endswith("/admin")
    assert "greeting" in driver.find_element(By.ID, "prompts").text
    screenshot(driver, "05-admin-prompts")
    driver.get(base + "/admin/audit")
    audit = driver.find_element(By.ID, "audit").text
    assert "ticket.first_reply" in audit and "ann" in audit
    screenshot(driver, "06-admin-audit")
    for name in ("settings", "blacklist", "webhooks", "prompts/zh-CN/greeting"):
        driver.get(f"{base}/admin/{name}")
        assert driver.find_elements(By.CSS_SELECTOR, "form input[name=csrf]"), name
        screenshot(driver, "06-admin-" + name.replace("/", "-"))
    driver.get(base + "/lang?to=en-US&next=/report")
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Monthly report")
    screenshot(driver, "06-report-english")
    driver.get(base + "/lang?to=zh-CN&next=/report")


def test_screen_pop_opens_the_ticket_for_the_queues_agent(site):
    from selenium.webdriver.common.by import By

    kit, base, driver = site
    ticket = open_ticket(kit.console, "pop-call:r1", caller_surname="李", caller_title="女士",
                         summary="要求转人工", department="default")
    sign_in(driver, base, "ann", PASSWORDS["ann"])
    wait_for(driver, lambda d: d.execute_script(
        "return document.readyState === 'complete'"), 10)
    import time

    time.sleep(0.5)  # the EventSource connects after the page's scripts ran
    kit.console.tickets.publish_event("transfer", ticket_ref=ticket.short_id, queue="default")
    card = wait_for(driver, lambda d: d.find_elements(By.ID, f"pop-{ticket.short_id}"), 10)
    assert "李女士" in card[0].text
    screenshot(driver, "07-screen-pop")
    driver.find_element(By.ID, "pop-open").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "ticket-id"), 10)
    assert driver.find_element(By.ID, "ticket-id").text == ticket.short_id


def _as(driver: Any, base: str, cookies: list[dict[str, Any]]) -> None:
    """Switch the browser to a saved sign-in (one browser plays two people)."""
    driver.get(base + "/static/console.css")
    driver.delete_all_cookies()
    for cookie in cookies:
        driver.add_cookie({k: v for k, v in cookie.items() if k != "sameSite"})


def test_admin_adds_an_agent_then_deactivates_them(site):
    """The admin adds an agent in the browser; the agent signs in and works; the admin
    deactivates them; the agent's next page load lands on sign-in."""
    from selenium.webdriver.common.by import By

    kit, base, driver = site
    sign_in(driver, base, "ada", PASSWORDS["ada"])
    driver.get(base + "/admin/users")
    driver.find_element(By.ID, "nu-name").send_keys("eve")
    driver.find_element(By.ID, "nu-department").send_keys("default")
    driver.find_element(By.ID, "nu-add").click()  # role: agent (first); password generated
    shown = wait_for(driver, lambda d: d.find_elements(By.ID, "new-password"), 10)
    password = shown[0].text
    assert len(password) >= 10
    assert driver.find_element(By.ID, "user-eve").is_displayed()
    screenshot(driver, "09-admin-user-added")
    admin_cookies = driver.get_cookies()

    sign_in(driver, base, "eve", password)
    assert driver.current_url.endswith("/desk")
    screenshot(driver, "10-new-agent-desk")
    agent_cookies = driver.get_cookies()

    _as(driver, base, admin_cookies)
    driver.get(base + "/admin/users")
    driver.find_element(By.CSS_SELECTOR, "#user-eve button.deactivate").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "users-done"), 10)
    assert "inactive" in driver.find_element(By.ID, "user-eve").get_attribute("class")
    screenshot(driver, "11-admin-user-deactivated")

    _as(driver, base, agent_cookies)
    driver.get(base + "/desk")
    wait_for(driver, lambda d: "/login" in d.current_url, 10)
    screenshot(driver, "12-deactivated-agent-signed-out")
    actions = [(a.action, a.actor, a.target) for a in kit.console.store.audit_log()]
    assert ("user.add", "ada", "eve") in actions and ("user.deactivate", "ada", "eve") in actions


def test_webhook_secret_once_and_dead_letter_retry(site):
    """The admin adds an endpoint and sees its secret once; a dead letter (the endpoint refuses
    connections) shows on the page with a retry button that queues one more try."""
    from selenium.webdriver.common.by import By

    from ivr.console.webhooks import Dispatcher
    from ivr.tickets.webhooks import WebhookStore

    kit, base, driver = site
    sign_in(driver, base, "ada", PASSWORDS["ada"])
    driver.get(base + "/admin/webhooks")
    driver.find_element(By.ID, "wh-url").send_keys("http://127.0.0.1:9/hook")
    driver.find_element(By.ID, "wh-add").click()
    secret = wait_for(driver, lambda d: d.find_elements(By.ID, "new-secret-value"), 10)[0].text
    assert len(secret) == 48
    screenshot(driver, "13-webhook-secret-once")

    store = WebhookStore(kit.console.tickets)
    open_ticket(kit.console, "wh-browser", summary="停水")
    Dispatcher(store, kit.clock, max_attempts=1).run_once()  # port 9: refused -> dead letter
    [letter] = store.dead_letters()
    driver.get(base + "/admin/webhooks")
    assert secret not in driver.page_source
    assert driver.find_element(By.CSS_SELECTOR, "code.secret-tail").text == "…" + secret[-4:]
    driver.find_element(By.CSS_SELECTOR, f"#letter-{letter.id} button.retry").click()
    wait_for(driver, lambda d: d.find_elements(By.ID, "retry-asked"), 10)
    assert store.dead_letters()[0].retry_requested_at is not None
    screenshot(driver, "14-webhook-dead-letter-retry")
