"""Where the defaults are found outside a checkout: prompts beside a config file given with
--config (/etc/ivr/ivr.toml -> /etc/ivr/prompts), and the checkout's layout (config/ivr.toml ->
prompts/). The installed wheel itself is tested in tests/e2e/test_e2e_installed.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ivr.config import DEFAULT_CONFIG_PATH, DEFAULT_PROMPTS_DIR, ConfigError, load_settings
from ivr.config.constants import share_candidates


def test_prompts_and_audio_beside_an_etc_style_config_are_used(tmp_path: Path) -> None:
    etc = tmp_path / "etc" / "ivr"
    (etc / "audio").mkdir(parents=True)
    shutil.copy(DEFAULT_CONFIG_PATH, etc / "ivr.toml")
    shutil.copytree(DEFAULT_PROMPTS_DIR, etc / "prompts")
    text = (etc / "prompts" / "en-US.toml").read_text()
    settings = load_settings(etc / "ivr.toml")
    assert settings.prompts_dir == etc / "prompts"
    assert settings.audio_dir == etc / "audio"
    # and they are really read from there: a broken catalogue beside the file is reported
    (etc / "prompts" / "en-US.toml").write_text(text.replace('locale = "en-US"', 'locale = "xx"'))
    with pytest.raises(ConfigError, match=str(etc / "prompts" / "en-US.toml")):
        load_settings(etc / "ivr.toml")


def test_a_config_alone_falls_back_to_the_installed_prompts(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_CONFIG_PATH, tmp_path / "ivr.toml")
    settings = load_settings(tmp_path / "ivr.toml")
    assert settings.prompts_dir == DEFAULT_PROMPTS_DIR


def test_the_checkout_is_searched_first_then_prefix_share_folders() -> None:
    candidates = share_candidates()
    assert candidates[0] == DEFAULT_CONFIG_PATH.parents[1]
    assert all(c.parts[-2:] == ("share", "ivr") for c in candidates[1:])
