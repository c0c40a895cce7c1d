"""The admin bench's prompt work: edit a phrase's text in prompts/<locale>.toml, upload a
recorded override to audio/<locale>/<id>.wav (checked: a WAV the agent can read, a sensible
length, speech at a level near the synthesised prompts', not clipped), and revert to the
synthesised voice. Every replaced file is kept under <data>/prompt-history/."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from ivr.config import ConfigError
from ivr.config.loading import load_prompt_file
from ivr.console.settings_edit import apply_text, patch_toml

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MIN_OVERRIDE_S = 0.3
MAX_OVERRIDE_S = 60.0
# The recording's active speech level may differ this much from tts.target_level_dbfs: callers
# should not hear one phrase much louder or quieter than the next.
LEVEL_TOLERANCE_DB = 10.0
CLIPPED_RATIO_ABOVE = 0.001
TEXT_MAX = 500


def check_override(data: bytes, filename: str, target_level_dbfs: float) -> list[str]:
    """Why this upload cannot be a prompt, one line per problem; [] when it can."""
    from ivr.media import tts
    from ivr.media.levels import active_speech_level_dbfs
    from ivr.media.wavio import WavError, parse_wav

    if len(data) > MAX_UPLOAD_BYTES:
        return [f"{filename}: {len(data)} bytes; at most {MAX_UPLOAD_BYTES} bytes"]
    try:
        audio = parse_wav(data, filename)
    except WavError as exc:
        return [str(exc)]
    problems = []
    if not MIN_OVERRIDE_S <= audio.duration_s <= MAX_OVERRIDE_S:
        problems.append(
            f"{filename}: {audio.duration_s:.2f} s long; "
            f"allowed {MIN_OVERRIDE_S}..{MAX_OVERRIDE_S} s"
        )
    level = active_speech_level_dbfs(audio.samples, audio.rate_hz)
    if level is None:
        problems.append(f"{filename}: no speech found (silent or too quiet)")
    elif abs(level - target_level_dbfs) > LEVEL_TOLERANCE_DB:
        problems.append(
            f"{filename}: speech level {level:.1f} dBFS; allowed {target_level_dbfs:.0f} ± "
            f"{LEVEL_TOLERANCE_DB:.0f} dBFS (tts.target_level_dbfs, what the other prompts use)"
        )
    ratio = tts.clipped_ratio(audio.samples)
    if ratio > CLIPPED_RATIO_ABOVE:
        problems.append(f"{filename}: clipped ({ratio:.2%} of samples at full scale)")
    return problems


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S%fZ")


def _keep(path: Path, history: Path, now: datetime) -> Path | None:
    if not path.exists():
        return None
    history.mkdir(parents=True, exist_ok=True)
    kept = history / f"{path.stem}-{_stamp(now)}{path.suffix}"
    shutil.move(str(path), kept)
    return kept


def save_override(settings: Any, locale: str, prompt_id: str, data: bytes, now: datetime
                  ) -> Path | None:
    """Write audio/<locale>/<id>.wav atomically; the one it replaces goes to the history.
    Returns the kept previous file, if there was one."""
    folder = settings.audio_dir / locale
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{prompt_id}.wav"
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".wav", dir=folder)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    kept = _keep(target, settings.data_dir / "prompt-history" / locale, now)
    os.replace(tmp, target)
    return kept


def remove_override(settings: Any, locale: str, prompt_id: str, now: datetime) -> Path | None:
    """Back to the synthesised voice: the override moves to the history (None: there was none)."""
    target = settings.audio_dir / locale / f"{prompt_id}.wav"
    return _keep(target, settings.data_dir / "prompt-history" / locale, now)


def change_text(settings: Any, locale: str, prompt_id: str, text: str, now: datetime
                ) -> tuple[list[str], str | None]:
    """(problems, previous text). Validated by the catalogue loader (unknown variables, empty
    text); written atomically with the previous file kept."""
    text = text.strip()
    if not text or len(text) > TEXT_MAX:
        return [f"prompts.{prompt_id}.text: 1..{TEXT_MAX} characters"], None
    path = settings.prompts_dir / f"{locale}.toml"
    before_text = path.read_text(encoding="utf-8")
    catalogue, _ = load_prompt_file(path, locale)
    if prompt_id not in catalogue:
        return [f"{path}: no prompt id {prompt_id!r}"], None
    try:
        after_text = patch_toml(before_text, {(f"prompts.{prompt_id}", "text"): text})
    except ValueError as exc:
        return [f"{path}: prompts.{prompt_id}.text: {exc}"], None
    fd, tmp = tempfile.mkstemp(prefix=".console-check-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(after_text)
        try:
            _, problems = load_prompt_file(Path(tmp), locale)
        except ConfigError as exc:
            problems = list(exc.problems)
    finally:
        os.unlink(tmp)
    if problems:
        return [str(p).replace(tmp, str(path)) for p in problems], None
    apply_text(path, after_text, settings.data_dir / "prompt-history" / locale, now)
    return [], catalogue[prompt_id].text
