"""The admin bench's settings editor: the file keeps its comments, bad values get the messages
of `ivr config check`, apply is atomic, keeps the previous file, reloads agents and is audited."""

from __future__ import annotations

import html
import os
import signal
import subprocess
import sys
import time

from consolekit import csrf_of, settings_form

from ivr.config import ConfigError, load_settings
from ivr.console import settings_edit as se

SAMPLE = """# top comment
[silent_call]                    # seed 000
after_greeting_s = 5.0           # "稍停5秒还是无声"
reprompt_count = 1

[low_volume]
first_prompt = "auto"            # speak_louder | pick_up_handset | auto
"""


def test_patch_keeps_comments_and_adds_missing_keys():
    out = se.patch_toml(SAMPLE, {
        ("silent_call", "after_greeting_s"): 7.5,
        ("low_volume", "first_prompt"): "speak_louder",
        ("silent_call", "goodbye_after_notice"): True,
        ("noisy_line", "repeat_count"): 3,
    })
    assert 'after_greeting_s = 7.5           # "稍停5秒还是无声"' in out
    assert 'first_prompt = "speak_louder"    # speak_louder' in out  # comment column kept
    assert "[silent_call]                    # seed 000\ngoodbye_after_notice = true\n" in out
    assert out.rstrip().endswith("[noisy_line]\nrepeat_count = 3")
    assert out.startswith("# top comment\n")


def test_patch_handles_hashes_and_quotes_inside_strings():
    text = '[prompts.menu]\ntext = "按#结束, 说\\"好\\"" # note\nseed = "x"\n'
    out = se.patch_toml(text, {("prompts.menu", "text"): '请按#号键 "确认"'})
    assert out == '[prompts.menu]\ntext = "请按#号键 \\"确认\\"" # note\nseed = "x"\n'
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    assert tomllib.loads(out)["prompts"]["menu"]["text"] == '请按#号键 "确认"'


def _post(client, data):
    page = client.get("/admin/settings")
    return client.post("/admin/settings", data={"csrf": csrf_of(page.text), **data})


def test_out_of_range_value_is_refused_with_config_checks_message(kit):
    config = kit.tmp / "config" / "ivr.toml"
    before = config.read_text()
    client = kit.sign_in("ada")
    response = _post(client, {**settings_form(kit, **{"silent_call.after_greeting_s": "500"}),
                              "op": "apply"})
    assert response.status_code == 200
    assert config.read_text() == before  # nothing written
    bad = kit.tmp / "config" / "bad.toml"
    bad.write_text(se.patch_toml(before, {("silent_call", "after_greeting_s"): 500.0}))
    try:
        load_settings(str(bad))
    except ConfigError as exc:
        expected = str(exc.problems[0]).replace(str(bad), str(config))
    assert expected in html.unescape(response.text)


def test_apply_writes_atomically_keeps_the_previous_file_reloads_and_audits(kit):
    config = kit.tmp / "config" / "ivr.toml"
    before = config.read_text()
    # A stand-in agent: a process named ivr (argv) with a pid file, that records SIGHUP.
    marker = kit.tmp / "hup"
    agent = subprocess.Popen([
        sys.executable, "-c",
        "import signal, sys, time, pathlib\n"
        f"signal.signal(signal.SIGHUP, lambda *a: pathlib.Path({str(marker)!r}).touch())\n"
        "print('up', flush=True)\n"
        "time.sleep(30)\n", "ivr-serve-standin",
    ], stdout=subprocess.PIPE, text=True)
    try:
        agent.stdout.readline()
        run = kit.console.settings.data_dir / "run"
        run.mkdir(parents=True, exist_ok=True)
        (run / "ivr-serve-5099.pid").write_text(f"{agent.pid}\n")
        client = kit.sign_in("ada")
        response = _post(client, {**settings_form(kit, **{"silent_call.after_greeting_s": "7.0"}),
                                  "op": "apply"})
        deadline = time.monotonic() + 5
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the agent got no SIGHUP"
    finally:
        os.kill(agent.pid, signal.SIGTERM)
        agent.wait(5)
    after = config.read_text()
    assert "after_greeting_s = 7.0" in after and "# seed 000 第十六条 3" in after
    assert (kit.tmp / "config" / "ivr.toml.prev").read_text() == before
    history = list((kit.console.settings.data_dir / "config-history").glob("ivr-*.toml"))
    assert [h.read_text() for h in history] == [before]
    assert load_settings(str(config)).silent_call.after_greeting_s == 7.0
    assert "-after_greeting_s = 5.0" in response.text and "+after_greeting_s = 7.0" in response.text
    entry = kit.console.store.audit_log()[0]
    assert (entry.actor, entry.action) == ("ada", "settings.apply")
    assert entry.before == {"silent_call.after_greeting_s": 5.0}
    assert entry.after == {"silent_call.after_greeting_s": 7.0}
    assert kit.console.settings.silent_call.after_greeting_s == 7.0
    assert str(kit.console.settings.data_dir).startswith(str(kit.tmp))


def test_settings_page_needs_admin_and_csrf(kit):
    assert kit.sign_in("max").get("/admin/settings").status_code == 403
    client = kit.sign_in("ada")
    assert client.post("/admin/settings", data={"op": "apply"}).status_code == 403


def test_reload_signals_a_supervisor_but_not_its_workers(tmp_path):
    """`ivr serve --workers N`: the supervisor and each worker write a pid file; the supervisor
    forwards SIGHUP, so signalling a worker too would reload it twice."""
    run = tmp_path / "run"
    run.mkdir()
    code = (
        "import os, signal, subprocess, sys, time, pathlib\n"
        "out = pathlib.Path(sys.argv[1])\n"
        "signal.signal(signal.SIGHUP, lambda *a: (out / f'hup-{os.getpid()}').touch())\n"
        "if sys.argv[2] == 'parent':\n"
        "    child = subprocess.Popen([sys.executable, '-c', sys.argv[3], sys.argv[1], 'child',\n"
        "                              sys.argv[3], 'ivr-serve-worker'])\n"
        "    (out / 'ivr-serve-5061.pid').write_text(f'{child.pid}\\n')\n"
        "(out / f'up-{os.getpid()}').touch()\n"
        "time.sleep(30)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code, str(run), "parent", code,
                               "ivr-serve-supervisor"])
    try:
        (run / "ivr-serve-5060.pid").write_text(f"{parent.pid}\n")
        deadline = time.monotonic() + 10
        while len(list(run.glob("up-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        child_pid = int((run / "ivr-serve-5061.pid").read_text())
        assert se.reload_agents(tmp_path) == [parent.pid]
        time.sleep(0.5)
        assert (run / f"hup-{parent.pid}").exists()
        assert not (run / f"hup-{child_pid}").exists()
    finally:
        for pid_file in run.glob("ivr-serve-*.pid"):
            try:
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        parent.wait(5)
