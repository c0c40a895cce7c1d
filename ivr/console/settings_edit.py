"""Editing config/ivr.toml from the admin bench: form fields from the settings schema, a
comment-keeping patch of `key = value` lines, validation by the real loader (the messages of
`ivr config check`), an atomic apply that keeps the previous file, and a reload of the agents.

The file is patched line by line rather than re-serialised, so the seed citations and unit notes
in its comments survive every edit.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import signal
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from ivr.config import ConfigError, load_settings

# The sections of timers, counts and thresholds an admin tunes from the bench. Addresses,
# secrets, paths and tables (queues, holidays, commitments, keywords) stay in the file.
EDITABLE_SECTIONS: tuple[str, ...] = (
    "greeting", "silent_call", "low_volume", "noisy_line", "unintelligible", "harassment",
    "complaint", "dialogue", "line", "vad",
)
SCALARS = (bool, int, float, str)


@dataclass(frozen=True)
class FormField:
    section: str
    key: str
    kind: str  # "bool" | "int" | "float" | "str" | "choice"
    value: Any
    choices: tuple[Any, ...] = ()  # typed as in the schema (a Literal may hold ints)
    minimum: float | None = None
    maximum: float | None = None

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"


def _bounds(metadata: list[Any]) -> tuple[float | None, float | None]:
    low = high = None
    for item in metadata:
        for attr in ("ge", "gt"):
            if getattr(item, attr, None) is not None:
                low = getattr(item, attr)
        for attr in ("le", "lt"):
            if getattr(item, attr, None) is not None:
                high = getattr(item, attr)
    return low, high


def form_fields(settings: Any) -> list[FormField]:
    """Every scalar key of the editable sections, with its type, bounds and current value."""
    out: list[FormField] = []
    for section in EDITABLE_SECTIONS:
        model: BaseModel = getattr(settings, section)
        for key, info in type(model).model_fields.items():
            annotation = info.annotation
            value = getattr(model, key)
            if get_origin(annotation) is Literal:
                choices = tuple(get_args(annotation))
                out.append(FormField(section, key, "choice", value, choices))
                continue
            if annotation not in SCALARS:
                continue
            low, high = _bounds(list(info.metadata))
            out.append(FormField(section, key, annotation.__name__, value, (), low, high))
    return out


def parse_form(fields: list[FormField], form: Any) -> tuple[dict[tuple[str, str], Any], list[str]]:
    """The changed values (typed) and the problems of values that are not even of their type."""
    changes: dict[tuple[str, str], Any] = {}
    problems: list[str] = []
    for f in fields:
        if f.kind == "bool":
            new: Any = form.get(f.name) == "on"
        elif f.kind == "choice":
            raw = str(form.get(f.name, ""))
            matches = [c for c in f.choices if str(c) == raw]
            if not matches:
                allowed = ", ".join(str(c) for c in f.choices)
                problems.append(f"{f.name} = {raw!r}: not one of {allowed}")
                continue
            new = matches[0]
        else:
            raw = str(form.get(f.name, "")).strip()
            try:
                new = int(raw) if f.kind == "int" else float(raw) if f.kind == "float" else raw
            except ValueError:
                problems.append(f"{f.name} = {raw!r}: not a {f.kind} number")
                continue
        if new != f.value:
            changes[(f.section, f.key)] = new
    return changes, problems


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


_SECTION = re.compile(r"^\s*\[([A-Za-z0-9_.]+)\]\s*(#.*)?$")


def patch_toml(text: str, changes: dict[tuple[str, str], Any]) -> str:
    """`text` with each (section, key) set to its value; comments and layout kept. A key missing
    from its section is added after the header; a missing section is appended."""
    lines = text.splitlines(keepends=True)
    pending = dict(changes)
    section = ""
    header_at: dict[str, int] = {}
    for i, line in enumerate(lines):
        match = _SECTION.match(line)
        if match:
            section = match.group(1)
            header_at[section] = i
            continue
        for (sec, key), value in list(pending.items()):
            if sec != section:
                continue
            m = re.match(rf"^(\s*{re.escape(key)}\s*=\s*)(.*?)(\r?\n)?$", line)
            if m:
                tail = _after_value(m.group(2))
                new = toml_value(value)
                tail = _realign(tail, len(m.group(2)) - len(tail), len(new))
                lines[i] = f"{m.group(1)}{new}{tail}{m.group(3) or ''}"
                del pending[(sec, key)]
    for (sec, key), value in sorted(pending.items(), key=lambda kv: kv[0]):
        if sec in header_at:
            at = header_at[sec] + 1
            lines.insert(at, f"{key} = {toml_value(value)}\n")
            header_at = {s: (n + 1 if n >= at else n) for s, n in header_at.items()}
        else:
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
            lines += [f"\n[{sec}]\n", f"{key} = {toml_value(value)}\n"]
            header_at[sec] = len(lines) - 2
    return "".join(lines)


def _realign(tail: str, old_len: int, new_len: int) -> str:
    """Keep a trailing comment in its column when the value changes length (one space at
    least)."""
    stripped = tail.lstrip(" ")
    if not stripped.startswith("#"):
        return tail
    spaces = len(tail) - len(stripped)
    return " " * max(1, spaces + old_len - new_len) + stripped


def _after_value(rest: str) -> str:
    """What follows a one-line TOML value (spaces and a comment), so it can be kept. A quoted
    value may hold '#' and escaped quotes; anything else ends at the first '#'."""
    if rest.startswith(('"""', "'''")):
        raise ValueError("a multi-line string: edit this key in the file itself")
    if rest[:1] in ('"', "'"):
        quote, i = rest[0], 1
        while i < len(rest):
            if quote == '"' and rest[i] == "\\":
                i += 2
                continue
            if rest[i] == quote:
                return rest[i + 1 :]
            i += 1
        return ""
    hash_at = rest.find("#")
    if hash_at < 0:
        return ""
    value = rest[:hash_at]
    return rest[len(value.rstrip()) :]


def check_text(config_path: Path, text: str) -> list[str]:
    """The loader's problems for `text` as if it were the file at config_path (same directory,
    so relative paths resolve the same), one line each, naming the real file."""
    fd, tmp = tempfile.mkstemp(prefix=".console-check-", suffix=".toml", dir=config_path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        load_settings(tmp)
    except ConfigError as exc:
        return [str(p).replace(tmp, str(config_path)) for p in exc.problems]
    finally:
        os.unlink(tmp)
    return []


def unified_diff(before: str, after: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True),
            f"{name} (before)", f"{name} (after)",
        )
    )


def apply_text(config_path: Path, text: str, history_dir: Path, now: datetime) -> Path:
    """Write atomically (temp file, fsync, rename); the previous version is kept as
    <file>.prev and in history_dir with a timestamp. Returns the kept copy."""
    history_dir.mkdir(parents=True, exist_ok=True)
    kept = history_dir / f"{config_path.stem}-{now.strftime('%Y%m%dT%H%M%S%fZ')}.toml"
    shutil.copy2(config_path, kept)
    shutil.copy2(config_path, config_path.with_name(config_path.name + ".prev"))
    fd, tmp = tempfile.mkstemp(prefix=".console-apply-", suffix=".toml", dir=config_path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, config_path.stat().st_mode & 0o777)
        os.replace(tmp, config_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(config_path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return kept


def reload_agents(data_dir: Path) -> list[int]:
    """SIGHUP every running `ivr serve` that wrote a pid file in <data>/run (what `ivr reload`
    does for one port); returns the pids signalled. A worker of `ivr serve --workers N` is left
    to its supervisor, which forwards the signal (so it reloads once, not twice)."""
    candidates: list[int] = []
    for pid_path in sorted((Path(data_dir) / "run").glob("ivr-serve-*.pid")):
        try:
            pid = int(pid_path.read_text().strip())
            # A stale pid file may name an unrelated process now: only signal an ivr.
            if b"ivr" in Path(f"/proc/{pid}/cmdline").read_bytes():
                candidates.append(pid)
        except (ValueError, OSError):
            continue
    signalled = []
    for pid in candidates:
        if _parent_of(pid) in candidates:
            continue
        try:
            os.kill(pid, signal.SIGHUP)
        except OSError:
            continue
        signalled.append(pid)
    return signalled


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses; split after the last ")".
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[1]) if len(fields) > 1 else None
