"""Config files that are not what they should be (issue 11 item 10): every one is refused with
one line per problem naming the file, never a traceback. Non-UTF-8 bytes and very deep nesting
used to end `ivr config check` in a UnicodeDecodeError / RecursionError traceback (and a SIGHUP
reload with them stopped the agent: see tests/e2e/test_e2e_reload_errors.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.config import DEFAULT_CONFIG_PATH, DEFAULT_PROMPTS_DIR, ConfigError, load_settings
from ivr.config.loading import parse_assignments

REPO = Path(__file__).resolve().parents[2]


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ivr.cli", "config", "check", str(path)],
                          capture_output=True, text=True, cwd=REPO, timeout=60, check=False)


def one_line_problems(path: Path, result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(ln.startswith(str(path)) for ln in lines), result.stderr
    return lines


def deep_array(depth: int) -> str:
    return "x = " + "[" * depth + "1" + "]" * depth + "\n"


def deep_table(depth: int) -> str:
    return "x = " + "{a = " * depth + "1" + "}" * depth + "\n"


HOSTILE = {
    "latin1": DEFAULT_CONFIG_PATH.read_bytes().replace(b"[service]", b"[service]\n# caf\xe9", 1),
    "utf16": DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").encode("utf-16"),
    "random-bytes": bytes(range(256)) * 4,
    "deep-array-100k": deep_array(100_000).encode(),
    "deep-table-10k": deep_table(10_000).encode(),
    "deep-array-40": deep_array(40).encode(),  # parses, but no setting nests like that
    "nul": b"[service]\x00\n",
}
EXPECT = {
    "latin1": "UTF-8", "utf16": "UTF-8", "random-bytes": "UTF-8",
    "deep-array-100k": "nested", "deep-table-10k": "nested", "deep-array-40": "nested",
    "nul": "TOML",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_config_check_names_the_file_in_one_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.toml"
    path.write_bytes(HOSTILE[name])
    lines = one_line_problems(path, check(path))
    assert any(EXPECT[name] in ln for ln in lines), lines
    with pytest.raises(ConfigError):
        load_settings(path)


def test_non_utf8_says_where(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(HOSTILE["latin1"])
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    text = str(err.value)
    assert "0xe9" in text and "line" in text


def test_a_directory_or_unreadable_path_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    lines = one_line_problems(tmp_path, check(tmp_path))
    assert "cannot read" in lines[0]


def test_a_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    path.write_bytes(DEFAULT_CONFIG_PATH.read_bytes() + b"#" * (9 * 1024 * 1024) + b"\n")
    lines = one_line_problems(path, check(path))
    assert "MiB" in lines[0]


def test_a_hostile_prompts_file_names_that_file(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    shutil.copytree(DEFAULT_PROMPTS_DIR, prompts)
    (prompts / "en-US.toml").write_bytes(b'locale = "en-US"\n# \xff\xfe\n')
    cfg = tmp_path / "ivr.toml"
    cfg.write_text(f'[paths]\nprompts_dir = "{prompts}"\n', encoding="utf-8")
    result = check(cfg)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert any(ln.startswith(str(prompts / "en-US.toml")) and "UTF-8" in ln
               for ln in result.stderr.splitlines()), result.stderr


def test_control_characters_in_keys_do_not_make_extra_lines(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text('[service]\n"evil\\nFORGED: line" = 1\n', encoding="utf-8")
    lines = one_line_problems(path, check(path))
    assert not any(ln.startswith("FORGED") for ln in lines)
    assert any("\\n" in ln for ln in lines)


@pytest.mark.parametrize("value", ["[" * 100_000, "[" * 50 + "1" + "]" * 50])
def test_set_overrides_are_checked_the_same_way(value: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(overrides=parse_assignments([f"service.hotline_number={value}"]))
    assert "--set" in str(err.value) or "nested" in str(err.value)
