"""Try before apply: run caller scripts against the current settings and against the edited,
not-yet-applied ones, and line the two timelines up so an admin sees what an edit changes.

Each side runs in a child process (`python -m ivr.console.trial`) with a time limit, through
the same code as `ivr simulate --script` (parse_script, run_script). The edited values reach the
child as loader overrides, exactly like `--set`: nothing is written anywhere, least of all to the
live config file.

The console's own process imports none of the policy or session code: only the child does.

The curated scripts live in trial_scripts/ beside this module (package data); the first line
of each, `# title: 中文 | English`, names it on the page.
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TRIAL_DIR = Path(__file__).resolve().parent / "trial_scripts"
TIME_LIMIT_S = 30.0  # per side, for all the chosen scripts (a run takes well under a second)
LABEL_CHARS = 90
SAME_TIME_S = 0.0005  # times closer than this are the same (they are rounded to the ms)


class TrialError(RuntimeError):
    """A trial that could not run: the child failed, timed out or printed nonsense."""


@dataclass(frozen=True)
class TrialScript:
    name: str
    path: Path
    title_zh: str
    title_en: str

    def title(self, locale: str) -> str:
        return self.title_en if locale.startswith("en") else self.title_zh


def trial_scripts(directory: Path = TRIAL_DIR) -> list[TrialScript]:
    """The curated scripts, by file name; a file without a title line is titled by its name."""
    out = []
    for path in sorted(directory.glob("*.toml")):
        first = path.read_text(encoding="utf-8").splitlines()[:1]
        zh = en = path.stem
        if first and first[0].startswith("# title:"):
            zh, _, en = first[0].removeprefix("# title:").partition("|")
            zh, en = zh.strip(), (en.strip() or zh.strip())
        out.append(TrialScript(path.stem, path, zh, en))
    return out


MAX_WAV_BYTES = 10 * 1024 * 1024  # a few minutes of telephone audio
UPLOAD_NAME = "upload"
UPLOAD_TITLE = ("上传的录音", "Uploaded recording")


def upload_script(directory: Path, wav: bytes) -> TrialScript:
    """A one-turn caller script around an uploaded recording (the caller starts a second after
    the greeting ends): the recording goes through the real line monitor, so its levels and
    noise meet the line.* and vad.* thresholds being tried."""
    (directory / f"{UPLOAD_NAME}.wav").write_bytes(wav)
    path = directory / f"{UPLOAD_NAME}.toml"
    path.write_text(f"[[turn]]\nwav = \"{UPLOAD_NAME}.wav\"\n", encoding="utf-8")
    return TrialScript(UPLOAD_NAME, path, *UPLOAD_TITLE)


def nested(changes: Mapping[tuple[str, str], Any]) -> dict[str, dict[str, Any]]:
    """{(section, key): value} as the loader's overrides ({section: {key: value}})."""
    out: dict[str, dict[str, Any]] = {}
    for (section, key), value in changes.items():
        out.setdefault(section, {})[key] = value
    return out


def run_side(config_path: Path, overrides: Mapping[str, Any],
             scripts: Sequence[Path]) -> subprocess.Popen[str]:
    """Start one side's child (the caller waits with `collect`): both sides run at once."""
    cmd = [sys.executable, "-m", "ivr.console.trial", "--config", str(config_path),
           "--overrides", json.dumps(overrides, ensure_ascii=False), *map(str, scripts)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)


def collect(child: subprocess.Popen[str],
            time_limit_s: float = TIME_LIMIT_S) -> list[dict[str, Any]]:
    """The runs a child printed, or TrialError naming why there are none."""
    try:
        out, err = child.communicate(timeout=time_limit_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise TrialError(f"the trial took longer than {time_limit_s:g} s and was stopped") from None
    if child.returncode != 0:
        last = (err.strip().splitlines() or [f"exit status {child.returncode}"])[-1]
        raise TrialError(f"the trial failed: {last}")
    try:
        runs: list[dict[str, Any]] = json.loads(out)["runs"]
    except (ValueError, KeyError, TypeError) as exc:
        raise TrialError(f"the trial printed no result ({exc})") from exc
    return runs


def run_trial(config_path: Path, changes: Mapping[tuple[str, str], Any],
              scripts: Sequence[Path], *, time_limit_s: float = TIME_LIMIT_S
              ) -> list[ScriptTrial]:
    """Each script against the file as it is and with `changes`, side by side."""
    children = [run_side(config_path, {}, scripts),
                run_side(config_path, nested(changes), scripts)]
    results, errors = [], []
    for child in children:
        try:
            results.append(collect(child, time_limit_s))
        except TrialError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
    before, after = results
    return [ScriptTrial(b["script"], b, a, align(b["rows"], a["rows"]))
            for b, a in zip(before, after, strict=True)]


# The side-by-side view ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Pair:
    """One line of the side-by-side table; either side may be missing (None)."""
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def status(self) -> str:
        """"same", "shifted" (same step, another time), "differs" (another step) or "only"
        (a step on one side only)."""
        if self.before is None or self.after is None:
            return "only"
        if self.before["key"] != self.after["key"]:
            return "differs"
        return "shifted" if abs(self.before["t"] - self.after["t"]) > SAME_TIME_S else "same"

    @property
    def changed(self) -> bool:
        return self.status != "same"


@dataclass(frozen=True)
class ScriptTrial:
    script: str
    before: dict[str, Any]
    after: dict[str, Any]
    pairs: list[Pair]

    @property
    def changed(self) -> int:
        return sum(p.changed for p in self.pairs)


def align(before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]) -> list[Pair]:
    """Match the two timelines by what happened (ignoring when), so a shifted timer shows as
    the same line at another time and an extra prompt as a line on one side only."""
    keys_b = [r["key"] for r in before]
    keys_a = [r["key"] for r in after]
    pairs: list[Pair] = []
    matcher = difflib.SequenceMatcher(a=keys_b, b=keys_a, autojunk=False)
    for op, b0, b1, a0, a1 in matcher.get_opcodes():
        if op == "equal":
            pairs += [Pair(before[b0 + i], after[a0 + i]) for i in range(b1 - b0)]
            continue
        left, right = list(before[b0:b1]), list(after[a0:a1])
        for i in range(max(len(left), len(right))):
            pairs.append(Pair(left[i] if i < len(left) else None,
                              right[i] if i < len(right) else None))
    return pairs


# The child ---------------------------------------------------------------------------------------
def timeline(run: Any, settings: Any) -> list[dict[str, Any]]:
    """The lines an admin reads: events and actions (not the 4-a-second line reports), a
    played phrase with its text."""
    from ivr.config.prompts import config_variables
    from ivr.policy import actions as a
    from ivr.policy import events as e

    catalogue = settings.prompts[run.locale]
    variables = config_variables(settings, run.locale)
    rows = []
    for entry in run.call.timeline:
        item = entry.item
        if isinstance(item, e.LineReport):
            continue
        said = ""
        key = entry.describe()
        if isinstance(item, a.Play):
            label = f"▶ {item.prompt_id}"
            said = _words(catalogue.get(item.prompt_id), variables, item.vars)
        elif isinstance(item, a.Listen):
            label = "Listen(free speech)" if item.grammar is None else \
                f"Listen({len(item.grammar)} phrases)"
        else:
            label = key if len(key) <= LABEL_CHARS else key[: LABEL_CHARS - 1] + "…"
        rows.append({"t": round(entry.t, 3), "kind": "action" if entry.is_action else "event",
                     "key": key, "label": label, "said": said})
    return rows


def _words(prompt: Any, variables: Mapping[str, str], call_vars: Mapping[str, Any]) -> str:
    """The phrase as the caller hears it (its variables filled), or its text as written when
    a value is missing."""
    from ivr.config.prompts import render_text

    if prompt is None:
        return ""
    try:
        return render_text(prompt, {**variables, **dict(call_vars or {})})
    except (KeyError, ValueError, IndexError):
        return str(prompt.text)


def main(argv: Sequence[str] | None = None) -> int:
    """Run scripts against a config file plus overrides; print {"runs": [...]} as JSON."""
    parser = argparse.ArgumentParser(prog="python -m ivr.console.trial")
    parser.add_argument("--config", required=True)
    parser.add_argument("--overrides", default="{}")
    parser.add_argument("scripts", nargs="+")
    args = parser.parse_args(argv)
    from ivr.config import ConfigError, load_settings
    from ivr.simulate_script import ScriptError, parse_script, run_script, summary

    try:
        settings = load_settings(args.config, overrides=json.loads(args.overrides))
    except ConfigError as exc:
        print("; ".join(str(p) for p in exc.problems), file=sys.stderr)
        return 2
    runs = []
    for path in args.scripts:
        try:
            run = run_script(parse_script(path), settings)
        except ScriptError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        runs.append({"script": Path(path).stem, "rows": timeline(run, settings),
                     "summary": summary(run)})
    print(json.dumps({"runs": runs}, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
