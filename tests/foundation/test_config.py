"""The configuration and the phrase catalogues: loaded whole or refused with every problem named."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.config import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_PROMPTS_DIR,
    KNOWN_VARIABLES,
    LOCALES,
    ConfigError,
    load_prompt_file,
    load_settings,
    required_prompt_ids,
)

REPO = Path(__file__).resolve().parents[2]


def ivr(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ivr.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def test_default_config_loads_with_seed_timers() -> None:
    settings = load_settings(DEFAULT_CONFIG_PATH)
    # Seed 000 第十六条 3: three pauses of 5 s on a silent line.
    assert settings.silent_call.after_greeting_s == 5.0
    assert settings.silent_call.after_reprompt_s == 5.0
    assert settings.silent_call.after_final_notice_s == 5.0
    # Seed 001 恶意骚扰: the final phrase after three warnings.
    assert settings.harassment.warning_count == 3
    # Seed 000 第十六条 4: apology after three rings.
    assert settings.greeting.queue_apology_rings_count == 3
    assert settings.line.low_volume_below_dbfs == -40.0
    assert settings.line.noisy_snr_below_db == 10.0
    assert settings.line.noisy_floor_above_dbfs == -35.0
    assert settings.commitments["complaint"].promised_hours == 24
    assert settings.commitments["complex"].reply_within_working_days == 3


def test_config_check_accepts_the_shipped_file() -> None:
    result = ivr("config", "check", str(DEFAULT_CONFIG_PATH))
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


def test_config_check_names_every_problem(tmp_path: Path) -> None:
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    text = text.replace("after_greeting_s = 5.0", "after_greeting_s = -1", 1)
    text = text.replace("volume = 1.0", 'volume = "loud"\nloudness_knob = 3', 1)
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")

    result = ivr("config", "check", str(bad))

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    timer = [ln for ln in lines if "silent_call.after_greeting_s" in ln]
    assert timer and "-1" in timer[0] and ">= 0.5" in timer[0] and "<= 120" in timer[0]
    assert str(bad) in timer[0]
    wrong_type = [ln for ln in lines if "tts.volume" in ln]
    assert wrong_type and "'loud'" in wrong_type[0] and "number" in wrong_type[0]
    unknown = [ln for ln in lines if "tts.loudness_knob" in ln]
    assert unknown and "unknown key" in unknown[0]


def test_invalid_toml_is_refused_with_the_file_name(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("[silent_call\nafter_greeting_s = 5", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(bad)
    assert "broken.toml" in str(err.value) and "TOML" in str(err.value)


def test_cross_field_rules_are_checked() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(overrides={"business": {"opens_at": "18:00", "closes_at": "09:00"}})
    assert "opens_at" in str(err.value)
    with pytest.raises(ConfigError) as err:
        load_settings(overrides={"transfer": {"default_queue": "nowhere"}})
    assert "nowhere" in str(err.value)


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_every_required_phrase(locale: str) -> None:
    prompts, problems = load_prompt_file(DEFAULT_PROMPTS_DIR / f"{locale}.toml", locale)
    assert problems == []
    assert required_prompt_ids() <= set(prompts)
    for prompt in prompts.values():
        assert prompt.variables <= KNOWN_VARIABLES


def test_both_locales_define_the_same_ids_and_variables() -> None:
    zh, _ = load_prompt_file(DEFAULT_PROMPTS_DIR / "zh-CN.toml", "zh-CN")
    en, _ = load_prompt_file(DEFAULT_PROMPTS_DIR / "en-US.toml", "en-US")
    assert set(zh) == set(en)
    for prompt_id in zh:
        assert zh[prompt_id].variables == en[prompt_id].variables, prompt_id
        assert zh[prompt_id].barge_in == en[prompt_id].barge_in, prompt_id


def test_zh_phrases_follow_the_seed_wording() -> None:
    zh, _ = load_prompt_file(DEFAULT_PROMPTS_DIR / "zh-CN.toml", "zh-CN")
    seeds = Path(REPO.parent / "shared" / "seeds")
    if not seeds.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    corpus = "".join(p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt")))
    corpus = corpus.replace("壹", "一").replace("于", "在")
    # Phrases cited from a seed appear there (variables and punctuation aside).
    cited = {pid: p for pid, p in zh.items() if p.seed.startswith(("000", "001"))}
    assert len(cited) >= 20
    for prompt_id in (
        "silent_reprompt",
        "low_volume_speak_louder",
        "dialect_speak_mandarin",
        "low_volume_pick_up_handset",
        "thanks_reply",
        "angry_caller",
    ):
        core = re.sub(r"[,。!?、,.!?\s]", "", zh[prompt_id].text)
        assert core[:8] in re.sub(r"[,。!?、,.!?\s“”]", "", corpus), prompt_id


def test_missing_prompt_id_is_refused(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(DEFAULT_PROMPTS_DIR, prompts)
    zh = prompts / "zh-CN.toml"
    zh.write_text(
        zh.read_text(encoding="utf-8").replace("[prompts.noisy_line]", "[prompts.noisy_lin]"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_settings(overrides={"paths": {"prompts_dir": str(prompts)}})
    message = str(err.value)
    assert "prompts.noisy_line" in message and "missing" in message
    assert "zh-CN.toml" in message


def test_cli_help_and_version() -> None:
    result = ivr("--help")
    assert result.returncode == 0
    assert "config" in result.stdout
    version = ivr("--version")
    assert version.returncode == 0 and version.stdout.startswith("ivr ")
