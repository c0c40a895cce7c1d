"""Paths, environment names, locales and the seeds' fixed numbers every section defaults to."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_PATH = REPO_ROOT / "config" / "ivr.toml"
DEFAULT_PROMPTS_DIR = REPO_ROOT / "prompts"
DEFAULT_AUDIO_DIR = REPO_ROOT / "audio"
CONFIG_ENV = "IVR_CONFIG"
DATA_DIR_ENV = "IVR_DATA_DIR"
DEFAULT_DATA_DIR = Path("~/.local/share/ivr")

LOCALES = ("zh-CN", "en-US")
Locale = Literal["zh-CN", "en-US"]

# Seed 000 第十六条 3 / seed 001 无声电话: "稍停5秒" between each step of the silent-call ladder.
STANDARD_PAUSE_S = 5.0
# Seed 000 第十六条 4: an answer "after the phone rang three times" earns the queue apology.
QUEUE_APOLOGY_RINGS = 3
# A Chinese ring cadence is 1 s on, 4 s off (YD/T 1258): one ring cycle is 5 s.
RING_CYCLE_S = 5.0
# Seed 001 恶意骚扰: "重复三次后" the final phrase is said.
HARASSMENT_WARNINGS = 3
# Seed 001 杂音: "需重复俩次,每次间隔5秒后再挂机".
NOISY_REPEATS = 2
# One PJSUA_MAX_CALLS of the pjsua2-python 2.15.1 wheel (FACTS.md).
WHEEL_MAX_CALLS = 4
DEFAULT_TTS_RATE_WPM = 170
