"""`ivr simulate FILE`: real audio through the media layer, the policy in virtual time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sim_support import QUIET_DBFS

from ivr.cli import main
from ivr.config import DEFAULT_CONFIG_PATH, load_settings
from ivr.policy.speech_length import phrase_seconds

LOCALE = "zh-CN"


def simulate(capsys, *args: str) -> dict:
    assert main(["simulate", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def seconds(settings, *ids: str) -> float:
    return sum(phrase_seconds(settings, LOCALE, p) for p in ids)


def silent_hangup_s(settings) -> float:
    cfg = settings.silent_call
    return (seconds(settings, "greeting", "menu") + cfg.after_greeting_s
            + cfg.reprompt_count * (seconds(settings, "silent_reprompt") + cfg.after_reprompt_s)
            + seconds(settings, "silent_final_notice") + cfg.after_final_notice_s)


def test_silent_wav_walks_the_silent_ladder_to_a_silent_hang_up(capsys, silent_wav):
    out = simulate(capsys, str(silent_wav))
    settings = load_settings()
    assert out["end_reason"] == "silent"
    assert out["end_s"] == pytest.approx(silent_hangup_s(settings), abs=1e-3)
    # The menu follows the re-prompt: the first pause counts from the greeting (issue 13 #8).
    assert out["prompts"] == ["greeting", "silent_reprompt", "menu", "silent_final_notice"]
    verdicts = {row["verdict"] for row in out["timeline"] if row["type"] == "LineReport"}
    assert verdicts == {"silent"}


def test_simulate_reads_the_timers_from_the_config_file(capsys, silent_wav, tmp_path: Path):
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    assert "after_greeting_s = 5.0" in text
    config = tmp_path / "ivr.toml"
    config.write_text(text.replace("after_greeting_s = 5.0", "after_greeting_s = 7.0"),
                      encoding="utf-8")
    assert main(["--config", str(config), "simulate", str(silent_wav), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["end_s"] == pytest.approx(silent_hangup_s(load_settings(config)), abs=1e-3)
    assert out["end_s"] == pytest.approx(silent_hangup_s(load_settings()) + 2.0, abs=1e-3)


def test_quiet_speech_walks_the_low_volume_ladder(capsys, quiet_wav):
    out = simulate(capsys, str(quiet_wav))
    settings = load_settings()
    assert out["end_reason"] == "low_volume"
    prompts = out["prompts"]
    assert prompts[-2:] == ["low_volume_speak_louder", "low_volume_call_again"]
    reports = [r for r in out["timeline"] if r["type"] == "LineReport"]
    low = [r for r in reports if r["verdict"] == "low_volume"]
    assert low, "the monitor never called the line low volume"
    assert low[0]["level_dbfs"] == pytest.approx(QUIET_DBFS, abs=4.0)
    plays = {r["prompt_id"]: r["t"] for r in out["timeline"] if r["type"] == "Play"}
    # The rule waits for min_low_speech_s of quiet speech after the first low report.
    need_s = settings.low_volume.min_low_speech_s
    assert plays["low_volume_speak_louder"] >= low[0]["t"] + need_s - 0.25
    final_end = plays["low_volume_call_again"] + seconds(settings, "low_volume_call_again")
    # The pause after the final phrase hears the caller (issue 13 defect 3): quiet words in it
    # hold the hang-up until they end, then the pause runs out.
    pause = settings.low_volume.hangup_after_final_s
    ended = [r["t"] for r in out["timeline"] if r["type"] == "SpeechEnded"]
    last_talk = max([final_end, *[t for t in ended if t < out["end_s"]]])
    assert final_end + pause - 1e-3 <= out["end_s"] <= last_talk + pause + 1e-3


def test_normal_speech_is_not_low_volume_and_keys_drive_the_menu(capsys, normal_wav):
    settings = load_settings()
    complaint_key = settings.menu.complaint_digit
    out = simulate(capsys, str(normal_wav), "--key", f"9={complaint_key}")
    assert "low_volume_speak_louder" not in out["prompts"]
    assert "complaint_apology" in out["prompts"]
    assert any(r["type"] == "SpeechEnded" for r in out["timeline"])
    # The caller says nothing after the request: nothing to file, closing, goodbye.
    assert out["prompts"][-2:] == ["closing_anything_else", "closing_goodbye"]
    assert out["end_reason"] == "normal"


def test_text_output_ends_with_the_reason(capsys, silent_wav):
    assert main(["simulate", str(silent_wav), "--locale", "en-US"]) == 0
    text = capsys.readouterr().out
    assert "Play(prompt_id='silent_final_notice'" in text
    assert text.strip().splitlines()[-1].startswith("ended: silent at ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent/caller.wav"], "/nonexistent/caller.wav"),
        (["{wav}", "--key", "x=1"], "expected SECONDS=DIGITS"),
        (["{wav}", "--key", "3=A"], "expected SECONDS=DIGITS"),
        (["{wav}", "--local-time", "yesterday"], "yesterday"),
        (["{notwav}"], "notwav.txt"),
    ],
)
def test_bad_input_is_a_clear_message_not_a_traceback(capsys, silent_wav, tmp_path, args, message):
    notwav = tmp_path / "notwav.txt"
    notwav.write_text("hello", encoding="utf-8")
    argv = [a.format(wav=silent_wav, notwav=notwav) for a in args]
    assert main(["simulate", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_config_names_the_key(capsys, silent_wav, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").replace(
        "after_greeting_s = 5.0", "after_greeting_s = -1.0"), encoding="utf-8")
    assert main(["--config", str(config), "simulate", str(silent_wav)]) == 2
    err = capsys.readouterr().err
    assert "silent_call.after_greeting_s" in err and "-1.0" in err


def test_help_describes_the_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "virtual time" in out and "--key" in out and "--json" in out
