"""Try before apply: the admin runs the curated caller scripts against the current and the edited
settings through the real `ivr simulate --script` code (in child processes) and sees both
timelines; the config file is never written, and an invalid edit runs nothing.

About 4 s on the loaded 2-core machine (each POST starts two short child processes)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from consolekit import csrf_of, settings_form

from ivr.config import load_settings
from ivr.console import settings_edit as se
from ivr.console import trial


def _try(client, form, scripts):
    page = client.get("/admin/settings")
    data = {"csrf": csrf_of(page.text), **form, "op": "try", "trial": scripts}
    return client.post("/admin/settings", data=data)


def _snapshot(directory):
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in directory.iterdir()}


def _times_of(page: str, script: str, label: str) -> list[str]:
    """The data-t cells (current, edited) of the first row of `script`'s table that shows
    `label`."""
    block = page.split(f'id="trial-{script}-result"', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", block, re.S):
        if label in row:
            return re.findall(r'data-t="([^"]+)"', row)
    raise AssertionError(f"no row with {label!r} in the {script} trial")


def test_a_shorter_silence_timer_brings_the_reprompt_forward_and_writes_nothing(kit):
    config_dir = kit.tmp / "config"
    before = _snapshot(config_dir)
    current = load_settings(str(config_dir / "ivr.toml")).silent_call.after_greeting_s
    assert current != 2.0
    client = kit.sign_in("ada")
    edited = settings_form(kit, **{"silent_call.after_greeting_s": "2"})
    response = _try(client, edited, ["silent_call"])
    assert response.status_code == 200, response.text
    page = html.unescape(response.text)
    assert 'id="trial-silent_call-result"' in page, page[-3000:]
    greeting_end = _times_of(page, "silent_call", "PromptFinished(prompt_id='greeting'")
    assert greeting_end[0] == greeting_end[1]  # the greeting is the same on both sides
    old_t, new_t = map(float, _times_of(page, "silent_call", "▶ silent_reprompt"))
    assert abs(old_t - float(greeting_end[0]) - current) < 0.002
    assert abs(new_t - float(greeting_end[0]) - 2.0) < 0.002
    assert 'class="changed' in page  # the shifted lines are highlighted
    # The prompt's words are shown beside it (from the catalogue).
    said = kit.console.settings.prompts["zh-CN"]["silent_reprompt"].text
    assert said in page
    # Nothing written: same files, same bytes, same times; the form still holds the edit.
    assert _snapshot(config_dir) == before
    assert 'id="silent_call.after_greeting_s" value="2"' in page
    assert not [a for a in kit.console.store.audit_log() if a.action.startswith("settings")]


def test_an_invalid_edit_shows_config_check_messages_and_runs_no_trial(kit):
    config = kit.tmp / "config" / "ivr.toml"
    client = kit.sign_in("ada")
    response = _try(client, settings_form(kit, **{"silent_call.after_greeting_s": "500"}),
                    ["silent_call"])
    page = html.unescape(response.text)
    expected = se.check_text(config, se.patch_toml(
        config.read_text(), {("silent_call", "after_greeting_s"): 500.0}))
    assert expected and expected[0] in page
    assert 'id="trial-not-run"' in page
    assert "-result" not in page and "data-t=" not in page


def test_the_curated_scripts_run_as_their_expectations_say_under_the_shipped_config():
    from ivr.simulate_script import parse_script, run_script

    scripts = trial.trial_scripts()
    assert {s.name for s in scripts} >= {"silent_call", "low_volume", "complaint_confirmed",
                                         "person_transfer"}
    settings = load_settings(str(Path(__file__).parents[2] / "config" / "ivr.toml"))
    for s in scripts:
        assert s.title_zh != s.name and s.title_en != s.name, f"{s.path}: no title line"
        run = run_script(parse_script(s.path), settings)
        assert run.unmet() == [], (s.name, run.unmet())


def test_align_pairs_the_same_step_at_another_time_and_marks_one_sided_lines():
    def row(t, key):
        return {"t": t, "kind": "action", "key": key, "label": key, "said": ""}

    before = [row(0.0, "greet"), row(5.0, "reprompt"), row(9.0, "hangup")]
    after = [row(0.0, "greet"), row(2.0, "reprompt"), row(4.0, "menu"), row(9.0, "hangup")]
    pairs = trial.align(before, after)
    assert [(p.before and p.before["key"], p.after and p.after["key"], p.changed)
            for p in pairs] == [("greet", "greet", False), ("reprompt", "reprompt", True),
                                (None, "menu", True), ("hangup", "hangup", False)]


def test_a_trial_that_hangs_is_stopped_and_a_failing_one_says_why(tmp_path):
    import subprocess
    import sys

    import pytest

    slow = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with pytest.raises(trial.TrialError, match=r"longer than 0\.5 s"):
        trial.collect(slow, time_limit_s=0.5)
    assert slow.poll() is not None  # killed, not left running
    bad = tmp_path / "bad.toml"
    bad.write_text("[[turn]]\nsay = 1\ndtmf = '1'\n")
    child = trial.run_side(Path(__file__).parents[2] / "config" / "ivr.toml", {}, [bad])
    with pytest.raises(trial.TrialError, match=r"the trial failed: .*bad\.toml"):
        trial.collect(child, time_limit_s=20)


def test_an_uploaded_quiet_recording_meets_the_edited_low_volume_threshold(kit, tmp_path):
    """A real recording about 45 dB below full scale: a quiet caller for the shipped
    line.low_volume_below_dbfs (-40), an ordinary one at -52 - through the line monitor."""
    import numpy as np
    import pytest

    from ivr.media.wavio import read_wav, write_wav

    files = sorted(Path("/usr/share/pocketsphinx/test/data").rglob("*.wav"))
    if not files:
        pytest.skip("pocketsphinx-testdata is not installed")
    audio = read_wav(files[0])
    quiet = np.round(audio.samples * 0.03).astype(np.int16)
    wav = tmp_path / "caller.wav"
    write_wav(wav, np.tile(quiet, 3), audio.rate_hz)
    config_dir = kit.tmp / "config"
    before = _snapshot(config_dir)
    client = kit.sign_in("ada")
    page = client.get("/admin/settings")
    response = client.post("/admin/settings", data={
        "csrf": csrf_of(page.text), **settings_form(kit, **{"line.low_volume_below_dbfs": "-52"}),
        "op": "try"}, files={"trial_wav": ("caller.wav", wav.read_bytes(), "audio/wav")})
    text = html.unescape(response.text)
    assert 'id="trial-upload-result"' in text, text[-3000:]
    block = text.split('id="trial-upload-result"', 1)[1].split("</table>", 1)[0]
    assert "上传的录音" in text
    current, edited = [], []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", block, re.S):
        cells = re.findall(r'<td class="what">([^<]*)</td>', row)
        sides = re.findall(r'<td class="t[^"]*"', row)
        if len(cells) == 2:
            current.append(cells[0])
            edited.append(cells[1])
        elif len(cells) == 1:
            (edited if "missing" in sides[0] else current).append(cells[0])
    louder = ("▶ low_volume_speak_louder", "▶ low_volume_pick_up_handset")
    assert any(c in louder for c in current), current
    assert not any(c in louder for c in edited), edited
    assert _snapshot(config_dir) == before
