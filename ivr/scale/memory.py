"""Memory and CPU of a process from /proc (Linux): what each worker costs."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def parse_status_kib(text: str, key: str = "VmRSS") -> int | None:
    """The ``key:  1234 kB`` value of a /proc/PID/status text, in KiB."""
    for line in text.splitlines():
        if line.startswith(key + ":"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1])
    return None


def rss_kib(pid: int) -> int | None:
    """Resident set size of ``pid`` in KiB, or None when the process is gone."""
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    return parse_status_kib(text)


def pss_kib(pid: int) -> int | None:
    """Proportional set size of ``pid`` in KiB (shared pages split among the processes that
    map them), or None when the process is gone. Summing RSS over 25 workers counts their
    shared libraries 25 times; summing PSS does not."""
    try:
        text = (PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return None
    return parse_status_kib(text, "Pss")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of ``pid`` so far (not counting its children)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces; fields after the closing ")" are fixed
    fields = text[text.rfind(")") + 2:].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Kamailio forks its own children)."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    result, todo = [], [pid]
    while todo:
        current = todo.pop()
        result.append(current)
        todo.extend(children.get(current, []))
    return result
