"""The targets of issue 16 and the summary table every bench ends with.

One place for the goals, so the benches cannot drift from the issue: each bench builds one
`Row` per figure it measured (what, the figure, the goal, and how the figure was obtained when
it is an extrapolation) and prints them with `print_summary`. PASS/MISS only compares numbers;
a figure measured on a loaded machine says so in the header (`load_note`), and the lead's
quiet-machine run is the one that counts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# Issue 16, "Targets" (numbers as written there).
CAPACITY_CALLS = 100  # concurrent calls on this 2-core machine, half talking, half silent
WORKERS_CPU_PCT_MAX = 150.0  # workers in total, % of one core, for CAPACITY_CALLS calls
RATIO_TO_BARE_MAX = 2.5  # CPU per call as a ratio to the bare pjsua2 agent in the same run
LATE_FRAMES_MAX = 0
MEMORY_GIB_MAX = 4.0  # 100 calls with a model loaded, RSS in total
TALKERS_MIN = 40  # simultaneous talkers with no growing backlog (grammar-mode recognition)
REPLY_P95_MS_MAX = 600.0  # end of caller speech -> first RTP packet of the reply
DTMF_P95_MS_MAX = 100.0  # DTMF -> first packet of the prompt
LADDER_GAP_S = 5.0  # silent-call ladder gap
LADDER_TOLERANCE_MS = 40.0  # p99 within +-
SOAK_CALLS = 10_000
QUIET_LOAD = 0.5  # a 1-minute load average above this makes timings indicative only


@dataclass(frozen=True)
class Row:
    """One measured figure against its goal. `ok` None: nothing to compare (not measured)."""

    target: str
    measured: str
    goal: str
    ok: bool | None
    how: str = ""


def at_most(target: str, value: float | None, limit: float, unit: str, fmt: str = ".1f",
            how: str = "") -> Row:
    if value is None:
        return Row(target, "not measured", f"<= {limit:{fmt}} {unit}", None, how)
    return Row(target, f"{value:{fmt}} {unit}", f"<= {limit:{fmt}} {unit}", value <= limit, how)


def at_least(target: str, value: float | None, limit: float, unit: str, fmt: str = ".0f",
             how: str = "") -> Row:
    if value is None:
        return Row(target, "not measured", f">= {limit:{fmt}} {unit}", None, how)
    return Row(target, f"{value:{fmt}} {unit}", f">= {limit:{fmt}} {unit}", value >= limit, how)


def load_note() -> str:
    """The machine's load, and whether timings from it are more than indicative."""
    one, five, _ = os.getloadavg()
    quiet = one <= QUIET_LOAD
    return (f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} cores: "
            + ("quiet enough for figures" if quiet else
               f"NOT quiet (> {QUIET_LOAD}): timings are indicative only"))


def print_summary(title: str, rows: list[Row]) -> None:
    """The bench's last lines: target, measured, goal, PASS/MISS (and how it was obtained)."""
    print()
    print(f"== {title}: issue 16 targets ==")
    print(load_note())
    w_t = max([len(r.target) for r in rows] + [6])
    w_m = max([len(r.measured) for r in rows] + [8])
    w_g = max([len(r.goal) for r in rows] + [4])
    print(f"{'target':<{w_t}}  {'measured':>{w_m}}  {'goal':<{w_g}}  result")
    for r in rows:
        verdict = "-" if r.ok is None else "PASS" if r.ok else "MISS"
        how = f"  ({r.how})" if r.how else ""
        print(f"{r.target:<{w_t}}  {r.measured:>{w_m}}  {r.goal:<{w_g}}  {verdict}{how}")
