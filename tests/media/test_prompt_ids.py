"""Prompt ids never leave their folders (issue 11 item 11): an id like `../../x` from a prompts
file made the library read an override and write (and delete stale) renders outside the audio
and cache folders. Ids are checked where they come from (prompts files, the CLI) and again where
they become paths."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ivr.cli import main as ivr_main
from ivr.config import ConfigError, load_settings
from ivr.config.constants import DEFAULT_PROMPTS_DIR
from ivr.media.prompt_library import PromptError, PromptLibrary

BAD_IDS = ["../../escape", "..", "a/b", "greeting/../../x", "Greeting", "x" * 65, "", "a b",
           "\u0430bc"]


def _config(tmp_path: Path, bad_id: str) -> Path:
    prompts = tmp_path / "prompts"
    shutil.copytree(DEFAULT_PROMPTS_DIR, prompts)
    with open(prompts / "zh-CN.toml", "a", encoding="utf-8") as fh:
        fh.write(f'\n[prompts."{bad_id}"]\ntext = "出去"\n')
    cfg = tmp_path / "ivr.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\nprompts_dir = "{prompts}"\n',
                   encoding="utf-8")
    return cfg


@pytest.mark.parametrize("bad_id", ["../../escape", "a/b", "Greeting"])
def test_a_prompts_file_with_a_path_like_id_is_refused(tmp_path: Path, bad_id: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(_config(tmp_path, bad_id))
    text = str(err.value)
    assert "zh-CN.toml" in text and bad_id in text and "[a-z]" in text


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_the_library_refuses_to_make_a_path_from_a_bad_id(tmp_path: Path, bad_id: str) -> None:
    cfg = tmp_path / "ivr.toml"
    cfg.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\naudio_dir = "{tmp_path / "a"}"\n',
                   encoding="utf-8")
    (tmp_path / "a" / "zh-CN").mkdir(parents=True)
    (tmp_path / "escape.wav").write_bytes(b"RIFF")  # what ../../escape would reach
    with PromptLibrary(load_settings(cfg)) as lib:
        with pytest.raises(PromptError, match="prompt id"):
            lib.override_path("zh-CN", bad_id)
        with pytest.raises(PromptError, match="prompt id"):
            lib.get("zh-CN", bad_id, 8000)


@pytest.mark.parametrize("bad_id", ["../../escape", "a/b"])
def test_cli_refuses_a_bad_id_in_one_line(tmp_path: Path, bad_id: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.wav"
    with pytest.raises(SystemExit) as exit_info:
        ivr_main(["prompts", "say", bad_id, "--out", str(out)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "[a-z]" in err and bad_id in err
    assert not out.exists()
