"""Paths, environment names, locales and the seeds' fixed numbers every section defaults to."""

from __future__ import annotations

import site
import sys
from pathlib import Path
from typing import Literal

CHECKOUT_ROOT = Path(__file__).resolve().parents[2]
SHARE_SUBDIR = Path("share") / "ivr"  # where `pip install` puts config/, prompts/, audio/, deploy/


def share_candidates() -> list[Path]:
    """Where the default config/, prompts/, audio/ and deploy/ may be, in order: the source
    checkout (running from it, or `pip install -e`), then ``<prefix>/share/ivr`` for each
    prefix `pip install .` may have used (venv, --user, /usr/local, /usr)."""
    prefixes = [sys.prefix, sys.exec_prefix, sys.base_prefix, site.USER_BASE or "",
                "/usr/local", "/usr"]
    found = [CHECKOUT_ROOT]
    found += [Path(p) / SHARE_SUBDIR for p in dict.fromkeys(prefixes) if p]
    return found


def find_share_root() -> Path:
    """The first candidate holding config/ivr.toml; the checkout when none does (the loader
    then says where it looked)."""
    for candidate in share_candidates():
        if (candidate / "config" / "ivr.toml").is_file():
            return candidate
    return CHECKOUT_ROOT


REPO_ROOT = find_share_root()  # the checkout, or the installed share/ivr folder
DEFAULT_CONFIG_PATH = REPO_ROOT / "config" / "ivr.toml"
DEFAULT_PROMPTS_DIR = REPO_ROOT / "prompts"
DEFAULT_AUDIO_DIR = REPO_ROOT / "audio"
CONFIG_ENV = "IVR_CONFIG"
DATA_DIR_ENV = "IVR_DATA_DIR"
# The ticket database URL (it may hold a password): beats database.url, loses to --db.
DATABASE_URL_ENV = "IVR_DATABASE_URL"
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
# Issue 13: a phrase is cut only by speech this long (a click or a breath is not an answer).
BARGE_IN_MIN_SPEECH_S = 0.3
