"""`ivr simulate --script`: caller scripts through the real policy, register checks, SLA calendar.

Every example script under tests/simulate/scripts/ states its seed rule and its [expect]; this
test runs them all through the CLI (about 2 s in total).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ivr.cli import main
from ivr.config import load_settings
from ivr.policy import actions as a
from ivr.session.facts import CallFacts
from ivr.simulate_script import MemoryRegister, ScriptError, parse_script, run_script

SCRIPTS = Path(__file__).parent / "scripts"
ALL = sorted(SCRIPTS.glob("*.toml"))


@pytest.mark.parametrize("script", ALL, ids=[p.stem for p in ALL])
def test_every_example_script_meets_its_expectations(script, capsys):
    code = main(["simulate", "--script", str(script), "--json"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    summary = lines[-1]["summary"]
    assert summary["unmet"] == [] and summary["violations"] == [], summary
    assert code == 0
    assert all({"t", "kind", "name"} <= set(row) for row in lines[:-1])


def test_json_lines_and_summary_shape(capsys):
    main(["simulate", "--script", str(SCRIPTS / "inquiry_friday_evening.toml"), "--json"])
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    summary = rows[-1]["summary"]
    assert set(summary) >= {"end_reason", "duration_s", "prompts", "tickets"}
    promise = next(p for p in summary["prompts"] if p["id"] == "callback_promise")
    assert promise["vars"] == {"when": "在下一个工作日上午10点前"}
    (ticket,) = summary["tickets"]
    assert ticket["category"] == "inquiry" and ticket["status"] == "new"
    assert ticket["due"].startswith("2026-03-09T09:")  # Monday: the promise and the due agree
    plays = [r for r in rows[:-1] if r.get("name") == "Play"]
    assert plays and plays[0]["kind"] == "action" and "prompt_id" in plays[0]


def test_set_overrides_a_timer(capsys):
    script = str(SCRIPTS / "silent_call.toml")
    main(["simulate", "--script", script, "--json"])
    base = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]["duration_s"]
    main(["simulate", "--script", script, "--json", "--set", "silent_call.after_greeting_s=7"])
    slow = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]["duration_s"]
    assert slow == pytest.approx(base + 2.0, abs=1e-3)


def test_bad_set_and_bad_script_are_named(tmp_path, capsys):
    assert main(["simulate", "--script", str(SCRIPTS / "silent_call.toml"),
                 "--set", "silent_call.after_greeting_s=-1"]) == 2
    assert "after_greeting_s" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('[[turn]]\nsay = "你好"\ndtmf = "1"\n', encoding="utf-8")
    assert main(["simulate", "--script", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "turn[1]" in err and "exactly one" in err
    bad.write_text("[[turn]]\nsilence_s = -3\n", encoding="utf-8")
    with pytest.raises(ScriptError, match=r"turn\[1\]\.silence_s = -3: allowed 0.0 .. 7200.0"):
        parse_script(bad)
    bad.write_text('[call]\nlocale = "fr-FR"\n', encoding="utf-8")
    with pytest.raises(ScriptError, match=r"call\.locale"):
        parse_script(bad)


def test_unmet_expectation_fails_the_run(tmp_path, capsys):
    script = tmp_path / "wrong.toml"
    script.write_text('[expect]\nend_reason = "transferred"\n', encoding="utf-8")
    assert main(["simulate", "--script", str(script)]) == 1
    assert "expectation not met" in capsys.readouterr().out


def test_the_register_refuses_what_the_real_one_refuses():
    settings = load_settings()
    register = MemoryRegister(settings, CallFacts(call_id="sim"), None)
    bad = a.OpenTicket(request_id="harassment-1", category="harassment", promised_hours=24,
                       severity="high")
    assert register.open(bad) is False
    assert register.opened[0]["status"] == "refused"
    assert "severity 'high'" in register.opened[0]["error"]


def test_a_wav_turn_runs_through_the_line_monitor(tmp_path):
    from ivr.media.wavio import read_wav, write_wav

    speech_dir = Path("/usr/share/pocketsphinx/test/data")
    files = sorted(speech_dir.rglob("*.wav"))
    if not files:
        pytest.skip("pocketsphinx-testdata is not installed")
    audio = read_wav(files[0])
    quiet = np.round(audio.samples * 0.01).astype(np.int16)  # about -50 dBFS: a quiet caller
    write_wav(tmp_path / "quiet.wav", np.tile(quiet, 4), audio.rate_hz)
    script = tmp_path / "quiet.toml"
    script.write_text('[call]\nlocal_time = "2026-03-03T14:00:00"\n[[turn]]\nwav = "quiet.wav"\n'
                      'after_bot_s = 0.5\n', encoding="utf-8")
    result = run_script(parse_script(script), load_settings())
    played = [p for _, p in result.call.plays()]
    assert "low_volume_speak_louder" in played or "low_volume_pick_up_handset" in played
