"""The labelled evaluation set and the `ivr analyze` command, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from ivr.media.analysis import analyze_audio
from ivr.media.wavio import write_wav

REPO = Path(__file__).resolve().parents[2]
LABELS = ("ok", "low_volume", "noisy", "silent")
JSON_KEYS = {"verdict", "duration_s", "speech_ratio", "speech_level_dbfs", "noise_floor_dbfs",
             "snr_db", "clipping_ratio"}


def test_eval_set_precision_and_recall_per_class(eval_cases: list) -> None:
    predicted = [(c.label, analyze_audio(c.audio).verdict) for c in eval_cases]
    assert len(predicted) >= 100
    assert {c.audio.rate_hz for c in eval_cases} == {8000, 16000}
    for label in LABELS:
        tp = sum(1 for t, p in predicted if t == label and p == label)
        actual = sum(1 for t, _ in predicted if t == label)
        said = sum(1 for _, p in predicted if p == label)
        recall, precision = tp / actual, tp / max(1, said)
        wrong = Counter(p for t, p in predicted if t == label and p != label)
        assert recall >= 0.95, (label, recall, wrong)
        assert precision >= 0.95, (label, precision)


def test_eval_set_is_deterministic(eval_module) -> None:  # type: ignore[no-untyped-def]
    a = eval_module.generate(per_class=2)
    b = eval_module.generate(per_class=2)
    assert [c.name for c in a] == [c.name for c in b]
    assert all((x.audio.samples == y.audio.samples).all() for x, y in zip(a, b, strict=True))


def _ivr(*args: str) -> subprocess.CompletedProcess[str]:
    exe = REPO / ".venv/bin/ivr"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "ivr.cli"]
    return subprocess.run([*cmd, *args], cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def eval_files(eval_module, eval_cases, tmp_path_factory):  # type: ignore[no-untyped-def]
    """Two cases per label: one 8 kHz G.711 WAV and one 16 kHz PCM WAV."""
    chosen = []
    for label in LABELS:
        of_label = [c for c in eval_cases if c.label == label]
        chosen.append(next(c for c in of_label if c.encoding != "pcm16"))
        chosen.append(next(c for c in of_label if c.encoding == "pcm16"))
    out = tmp_path_factory.mktemp("eval")
    eval_module.write(chosen, out)
    return [(out / f"{c.name}.wav", c) for c in chosen]


def test_cli_json_on_the_done_when_cases(eval_files) -> None:  # type: ignore[no-untyped-def]
    for path, case in eval_files:
        r = _ivr("analyze", str(path), "--json")
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert set(out) == JSON_KEYS
        assert out["verdict"] == case.label, (path.name, case.meta, out)
        assert out["duration_s"] == pytest.approx(case.audio.duration_s, abs=0.01)
        if case.label == "silent":
            assert out["speech_level_dbfs"] is None and out["snr_db"] is None
        else:
            assert out["speech_level_dbfs"] == pytest.approx(case.meta["speech_level_dbfs"], abs=4)


def test_cli_human_output(eval_files) -> None:  # type: ignore[no-untyped-def]
    path, case = eval_files[0]
    r = _ivr("analyze", str(path))
    assert r.returncode == 0
    assert r.stdout.startswith(f"{path}: {case.label}")
    assert "noise floor" in r.stdout


def test_cli_refuses_bad_input_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    short = tmp_path / "short.wav"


    write_wav(short, np.zeros(10, np.int16), 8000)
    for path, words in [(bad, "not a WAV"), (tmp_path / "missing.wav", "no such file"),
                        (short, "shorter than one")]:
        r = _ivr("analyze", str(path), "--json")
        assert r.returncode == 2
        assert r.stdout == ""
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and str(path) in lines[0]
        assert "Traceback" not in r.stderr
