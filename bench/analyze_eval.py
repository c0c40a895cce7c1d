"""Per-class precision/recall of the line verdict on the generated evaluation set.

Usage: .venv/bin/python bench/analyze_eval.py [--per-class 40] [--seed N]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ivr.media.analysis import analyze_audio  # noqa: E402

LABELS = ("ok", "low_volume", "noisy", "silent")


def _eval_module():  # type: ignore[no-untyped-def]
    path = REPO / "tests/data/make_eval_set.py"
    spec = importlib.util.spec_from_file_location("make_eval_set", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_eval_set"] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


def main() -> int:
    m = _eval_module()
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per-class", type=int, default=m.DEFAULT_PER_CLASS)
    ap.add_argument("--seed", type=int, default=m.DEFAULT_SEED)
    args = ap.parse_args()
    cases = m.generate(args.seed, args.per_class)
    t0 = time.perf_counter()
    results = [(c, analyze_audio(c.audio)) for c in cases]
    dt = time.perf_counter() - t0
    audio_s = sum(c.audio.duration_s for c in cases)
    conf = Counter((c.label, r.verdict) for c, r in results)
    print(f"{len(cases)} cases, seed {args.seed}, {audio_s:.0f} s of audio analysed in {dt:.2f} s")
    print("true/said".ljust(12) + "".join(f"{v:>11s}" for v in LABELS))
    for t in LABELS:
        print(f"{t:12s}" + "".join(f"{conf[(t, v)]:11d}" for v in LABELS))
    print(f"\n{'class':12s}{'precision':>11s}{'recall':>9s}")
    for label in LABELS:
        tp = conf[(label, label)]
        said = sum(conf[(t, label)] for t in LABELS)
        actual = sum(conf[(label, v)] for v in LABELS)
        print(f"{label:12s}{tp / max(1, said):11.3f}{tp / max(1, actual):9.3f}")
    wrong = [(c, r) for c, r in results if r.verdict != c.label]
    for c, r in wrong:
        print(f"  miss {c.name}: {c.meta} -> {r.as_json()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
