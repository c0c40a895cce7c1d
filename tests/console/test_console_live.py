"""Live calls: agents' snapshot files in <data>/run, read fresh, shown to managers and admins."""

from __future__ import annotations

import time

from ivr.console.live import live_path, read_live, write_live


def test_fresh_files_are_read_and_stale_ones_ignored(tmp_path):
    now = time.time()
    write_live(live_path(tmp_path, 5060), [{"call_id": "a", "duration_s": 3.0}], now=now)
    write_live(live_path(tmp_path, 5071), [{"call_id": "b", "duration_s": 9.0}], now=now - 1)
    write_live(live_path(tmp_path, 5072), [{"call_id": "dead", "duration_s": 99.0}],
               now=now - 60)
    calls = read_live(tmp_path, now=now)
    assert [(c["call_id"], c["agent"]) for c in calls] == [("b", "5071"), ("a", "5060")]


def test_live_page_shows_calls_to_managers_only(kit):
    write_live(live_path(kit.console.settings.data_dir, 5060), [{
        "call_id": "x", "caller": "138****5678", "duration_s": 12.0, "step": "event Dtmf",
        "playing": "menu", "verdict": "low_volume", "level_dbfs": -41.5, "snr_db": 9.0,
        "asr": "idle",
    }])
    manager = kit.sign_in("max")
    page = manager.get("/live").text
    assert "138****5678" in page and "音量过小" in page and 'value="-41.5"' in page
    assert 'hx-get="/live/rows"' in page
    assert "138****5678" in manager.get("/live/rows").text
    assert kit.sign_in("ann").get("/live").status_code == 403
