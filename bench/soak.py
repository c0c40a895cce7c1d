"""Soak: many short sipp calls through `ivr serve --workers N` and its Kamailio front.

Calls go in blocks (default 1,000). After each block it prints, per block: calls placed,
successful and failed (sipp's own counts), the workers' total RSS and open file descriptors (and
the recogniser service's when there is one) against the baseline taken before the first call,
and at the end the call records in the database against the calls answered: a call that ended
without its record, or a sipp call that failed, is LOST and counted.

    .venv/bin/python bench/soak.py                          # 10,000 calls, 2 workers
    .venv/bin/python bench/soak.py --calls 10000 --workers 25 --concurrency 100 --asr
    .venv/bin/python bench/soak.py --quick                  # 300 calls in blocks of 100 (~1 min)

The baseline is taken after the first block (a warm-up: thread pools, database connections
and caches are created by the first calls). Exit status 0 when nothing was lost and RSS / fds
came back near the baseline (fds within --fds-slack, RSS within --rss-slack-mib), 1 otherwise:
tests/scale/test_soak.py runs --quick.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import scale  # noqa: E402  (bench/scale.py: start/stop of `ivr serve --workers N`)
from scale_harness import free_port_block  # noqa: E402

from ivr.scale.memory import rss_kib  # noqa: E402

SILENT_SCENARIO = scale.SILENT_SCENARIO
SIPP_COUNT = re.compile(r"(Successful|Failed) call\s*\|\s*\d+\s*\|\s*(\d+)")
SETTLE_S = 3.0  # after a block, for the last calls' records and teardown
SETTLE_MAX_S = 20.0  # ... and up to this long until the fd count stops moving


def open_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def snapshot(pids: list[int]) -> tuple[float, int]:
    """(total RSS MiB, total open fds) of ``pids``."""
    return (sum(rss_kib(p) or 0 for p in pids) / 1024, sum(open_fds(p) for p in pids))


def settled(pids: list[int], baseline_fds: int | None) -> tuple[float, int]:
    """RSS and fds once the last calls of a block are torn down: back at ``baseline_fds``,
    or (first block, no baseline yet) unchanged for 3 s; at most SETTLE_MAX_S. A leak stays
    above the baseline however long it waits; a call still tearing down does not."""
    time.sleep(SETTLE_S)
    deadline = time.monotonic() + SETTLE_MAX_S
    history = [snapshot(pids)]
    while time.monotonic() < deadline:
        now = history[-1]
        if baseline_fds is not None and now[1] <= baseline_fds:
            return now
        if baseline_fds is None and len(history) >= 4 and len({h[1] for h in history[-4:]}) == 1:
            return now
        time.sleep(1.0)
        history.append(snapshot(pids))
    return history[-1]


def run_block(sip_port: int, calls: int, args: argparse.Namespace) -> tuple[int, int, int]:
    """(placed, successful, failed) for one block of sipp calls."""
    proc = subprocess.run(
        ["sipp", f"127.0.0.1:{sip_port}", "-sf", str(SILENT_SCENARIO), "-i", "127.0.0.1",
         "-p", str(free_port_block(1)), "-m", str(calls), "-l", str(args.concurrency),
         "-r", str(args.rate), "-d", str(int(args.hold_s * 1000)),
         "-timeout", f"{int(calls / args.rate + args.hold_s + 120)}s", "-nostdin",
         "-mp", str(free_port_block(2))],
        capture_output=True, text=True, start_new_session=True)
    counts = {kind: int(n) for kind, n in SIPP_COUNT.findall(proc.stdout + proc.stderr)}
    ok = counts.get("Successful", calls if proc.returncode == 0 else 0)
    failed = counts.get("Failed", calls - ok)
    return calls, ok, failed


def call_records(data_dir: Path) -> int:
    db = data_dir / "tickets.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("select count(*) from call_records").fetchone()[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--block", type=int, default=1_000, help="calls between measurements")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=0,
                        help="simultaneous calls (default 4 per worker)")
    parser.add_argument("--rate", type=float, default=10.0, help="new calls a second")
    parser.add_argument("--hold-s", type=float, default=1.0)
    parser.add_argument("--asr", action="store_true",
                        help="recognition on (one recogniser service for the host)")
    parser.add_argument("--rss-slack-mib", type=float, default=64.0,
                        help="RSS growth over the baseline still counted as 'back' (allocator "
                             "arenas keep some)")
    parser.add_argument("--fds-slack", type=int, default=9,
                        help="open fds over the baseline still counted as 'back': a database "
                             "connection pool grows with concurrency (3 fds per SQLite "
                             "connection: db, -wal, -shm), a bounded cache, not a leak")
    parser.add_argument("--quick", action="store_true", help="300 calls in blocks of 100")
    parser.add_argument("--start-timeout-s", type=float, default=300.0)
    args = parser.parse_args()
    if args.quick:
        args.calls, args.block = 300, 100
    args.concurrency = args.concurrency or 4 * args.workers
    # what scale.start() reads
    args.standin, args.no_asr, args.set, args.korean = False, not args.asr, [], False
    load = os.getloadavg()
    print(f"soak: {args.calls} calls in blocks of {args.block} through {args.workers} workers "
          f"behind Kamailio, {args.concurrency} at once, {args.rate:g}/s, held "
          f"{args.hold_s:g} s, recognition {'on' if args.asr else 'off'}; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    ok_total = failed_total = 0
    blocks_not_back = 0
    with tempfile.TemporaryDirectory(prefix="ivr-soak-") as tmp:
        data_dir = Path(tmp)
        proc, sip_port, _ = scale.start(args.workers, args, data_dir, data_dir / "serve.log")
        try:
            worker_pids, _front, service_pid = scale.pids_by_role(
                (data_dir / "serve.log").read_text(errors="replace"))
            pids = worker_pids + ([service_pid] if service_pid else [])
            rss0, fds0 = snapshot(pids)
            print(f"{'calls':>6} {'ok':>6} {'failed':>6} {'RSS MiB':>8} {'dRSS':>6} {'fds':>5} "
                  f"{'dfds':>5} {'s':>5}  (d: against the baseline after the first block)")
            print(f"{0:>6} {0:>6} {0:>6} {rss0:>8.1f} {'':>6} {fds0:>5} {'':>5} {0:>5}",
                  flush=True)
            placed = 0
            baseline: tuple[float, int] | None = None
            t0 = time.monotonic()
            while placed < args.calls:
                n = min(args.block, args.calls - placed)
                _, ok, failed = run_block(sip_port, n, args)
                placed += n
                ok_total += ok
                failed_total += failed
                rss, fds = settled(pids, baseline[1] + args.fds_slack if baseline else None)
                baseline = baseline or (rss, fds)
                print(f"{placed:>6} {ok_total:>6} {failed_total:>6} {rss:>8.1f} "
                      f"{rss - baseline[0]:>6.1f} {fds:>5} {fds - baseline[1]:>5} "
                      f"{time.monotonic() - t0:>5.0f}", flush=True)
                if (fds > baseline[1] + args.fds_slack
                        or rss - baseline[0] > args.rss_slack_mib):
                    blocks_not_back += 1  # the target: back to baseline after EVERY block
            restarts = len(re.findall(r"restarting \(restart",
                                      (data_dir / "serve.log").read_text(errors="replace")))
        finally:
            scale.stop(proc)
        records = call_records(data_dir)
    lost = failed_total + max(0, ok_total - records)
    print(f"calls ok {ok_total}, failed {failed_total}; call records {records}; lost {lost}; "
          f"worker restarts {restarts}; blocks whose RSS/fds did not come back to the "
          f"baseline: {blocks_not_back}")
    summary(args, placed, lost, blocks_not_back, restarts)
    return 1 if lost or blocks_not_back or restarts else 0


def summary(args: argparse.Namespace, placed: int, lost: int, blocks_not_back: int,
            restarts: int) -> None:
    """Issue 16's target 5 against this run."""
    from bench import targets as tg

    how = f"{args.workers} workers, {args.concurrency} at once, blocks of {args.block}"
    tg.print_summary("bench/soak.py", [
        tg.at_least("5 calls placed", placed, tg.SOAK_CALLS, "calls",
                    how="--quick: a shortened run" if args.quick else how),
        tg.at_most("5 calls or call records lost", lost, 0, "", ".0f"),
        tg.at_most("5 blocks not back to the RSS/fd baseline", blocks_not_back, 0, "", ".0f",
                   f"slack {args.rss_slack_mib:g} MiB, {args.fds_slack} fds"),
        tg.at_most("5 worker restarts", restarts, 0, "", ".0f"),
    ])


if __name__ == "__main__":
    sys.exit(main())
