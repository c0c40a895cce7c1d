"""The settings bench in a real browser (Debian's headless Chromium via Selenium): the form reads
as labels with their source, and "Try" shows the current and the edited timelines side by side
without touching the config file. Screenshots in tests/artifacts/console/. Runtime: ~10 s."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import browser_site, screenshot, sign_in, wait_for
from consolekit import PASSWORDS, ConsoleKit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ConsoleKit, str, Any]]:
    yield from browser_site(tmp_path_factory.mktemp("console-settings-browser"))


def test_try_shows_both_timelines_and_leaves_the_file_alone(site):
    from selenium.webdriver.common.by import By

    kit, base, driver = site
    config = kit.tmp / "config" / "ivr.toml"
    before = config.read_bytes()
    sign_in(driver, base, "ada", PASSWORDS["ada"])
    driver.get(base + "/admin/settings")
    field = driver.find_element(By.ID, "silent_call.after_greeting_s")
    field.clear()
    field.send_keys("2")
    for box in driver.find_elements(By.CSS_SELECTOR, "#trial-pick input[type=checkbox]"):
        if box.get_attribute("value") != "silent_call" and box.is_selected():
            box.click()
    driver.find_element(By.ID, "settings-try").click()
    result = wait_for(driver, lambda d: d.find_elements(By.ID, "trial-silent_call-result"), 30)[0]
    head = result.find_element(By.TAG_NAME, "thead").text
    assert "当前设置" in head and "修改后" in head
    changed = result.find_elements(By.CSS_SELECTOR, "tr.changed")
    assert changed, "no highlighted difference"
    reprompt = [r for r in result.find_elements(By.TAG_NAME, "tr") if "silent_reprompt" in r.text]
    times = [c.get_attribute("data-t") for c in reprompt[0].find_elements(By.CSS_SELECTOR,
                                                                          "td.t")]
    assert len(times) == 2 and float(times[0]) - float(times[1]) == pytest.approx(
        kit.console.settings.silent_call.after_greeting_s - 2.0, abs=0.002)
    assert config.read_bytes() == before
    driver.set_window_size(1400, 1300)
    driver.execute_script("arguments[0].scrollIntoView()", result)
    screenshot(driver, "08-admin-settings-try")
    driver.set_window_size(1280, 900)


def test_the_form_reads_as_labels_with_their_seed_rule(site):
    from selenium.webdriver.common.by import By

    from ivr.config.labels import LABELS

    _kit, base, driver = site
    sign_in(driver, base, "ada", PASSWORDS["ada"])
    driver.get(base + "/admin/settings")
    row = driver.find_element(By.ID, "row-silent_call.after_greeting_s")
    assert LABELS["silent_call.after_greeting_s"].zh in row.text
    assert "000 第十六条 3" in row.text
    driver.execute_script("arguments[0].scrollIntoView()", row)
    screenshot(driver, "08-admin-settings-labels")
    driver.get(base + "/lang?to=en-US&next=/admin/settings")
    row = driver.find_element(By.ID, "row-silent_call.after_greeting_s")
    assert LABELS["silent_call.after_greeting_s"].en in row.text
    driver.execute_script("arguments[0].scrollIntoView()", row)
    screenshot(driver, "08-admin-settings-labels-english")
    driver.get(base + "/lang?to=zh-CN&next=/admin/settings")


def test_try_with_an_uploaded_recording(site, tmp_path):
    import numpy as np
    from selenium.webdriver.common.by import By

    from ivr.media.wavio import read_wav, write_wav

    _kit, base, driver = site
    files = sorted(Path("/usr/share/pocketsphinx/test/data").rglob("*.wav"))
    if not files:
        pytest.skip("pocketsphinx-testdata is not installed")
    audio = read_wav(files[0])
    wav = tmp_path / "caller.wav"  # about -45 dBFS: quiet for -40, ordinary for -52
    write_wav(wav, np.tile(np.round(audio.samples * 0.03).astype(np.int16), 3), audio.rate_hz)
    sign_in(driver, base, "ada", PASSWORDS["ada"])
    driver.get(base + "/admin/settings")
    field = driver.find_element(By.ID, "line.low_volume_below_dbfs")
    field.clear()
    field.send_keys("-52")
    for box in driver.find_elements(By.CSS_SELECTOR, "#trial-pick input[type=checkbox]"):
        if box.is_selected():
            box.click()
    driver.find_element(By.ID, "trial-wav").send_keys(str(wav))
    driver.find_element(By.ID, "settings-try").click()
    result = wait_for(driver, lambda d: d.find_elements(By.ID, "trial-upload-result"), 30)[0]
    assert "上传的录音" in result.text and "low_volume_speak_louder" in result.text
    driver.set_window_size(1400, 1300)
    driver.execute_script("arguments[0].scrollIntoView()", result)
    screenshot(driver, "08-admin-settings-try-wav")
    driver.set_window_size(1280, 900)
