"""Real-browser helpers: the console served by uvicorn on a free loopback port, Debian's
headless Chromium driven by Selenium, screenshots under tests/artifacts/console/ (git-ignored)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "console"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(app: Any) -> tuple[str, Callable[[], None]]:
    """Run `app` with uvicorn in a thread (as `ivr serve --admin-port` does); (URL, stop)."""
    from ivr.console.server import BackgroundServer

    server = BackgroundServer(app, "127.0.0.1", free_port()).start()
    return f"http://127.0.0.1:{server.port}", server.shutdown


def chrome() -> Any:
    """Headless Chromium, or skip when Debian's chromium / chromium-driver are missing."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("chromium + chromium-driver not installed (scripts/install-system-deps test)")
    pytest.importorskip("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                "--lang=zh-CN", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def sign_in(driver: Any, base: str, name: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    wait_for(driver, lambda d: "/login" not in d.current_url, 10)


def wait_for(driver: Any, predicate: Callable[[Any], Any], timeout_s: float) -> Any:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # A page that reloads (form POST -> redirect) can leave an element found just before the
    # reload stale: look again rather than fail.
    return WebDriverWait(
        driver,
        timeout_s,
        poll_frequency=0.1,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    ).until(predicate)


def screenshot(driver: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def browser_site(tmp: Path, poll_s: float | None = None) -> Iterator[tuple[Any, str, Any]]:
    """(console kit, base URL, driver) for one test module: a console on a free port and one
    headless Chromium, both stopped at the end (use from a module-scoped fixture)."""
    from consolekit import make_kit

    kits = make_kit(tmp)
    kit = next(kits)
    if poll_s is not None:
        kit.console.poll_s = poll_s
    base, stop = serve(kit.app)
    driver = chrome()
    try:
        yield kit, base, driver
    finally:
        driver.quit()
        stop()
        kits.close()
