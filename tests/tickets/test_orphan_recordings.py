"""Recordings a killed agent leaves behind become tickets (issue 11 item 11): a complaint
recorded but not yet confirmed when the agent died was an orphan file no one would ever hear.
When the agent starts (and hourly) its register opens an unconfirmed ticket for each call whose
recording has no ticket and no call record, once the call is surely over: its agent process is
gone (the recorder's live lock is free). Recordings of live calls, finished calls and ticketed
calls are left alone. The "killed agent" is a real process killed with SIGKILL. About 3 s."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from ticket_helpers import REPO, TEST_KEY

from ivr.tickets.types import CallRecordDraft, TicketDraft

T0 = datetime(2026, 11, 17, 2, 0, tzinfo=timezone.utc)

# A process that records like a call in progress (the real CallRecorder), says so, then waits.
RECORDER = """
import sys, time
import numpy as np
from pathlib import Path
from ivr.session.recording import CallRecorder
rec = CallRecorder(sys.argv[1], Path(sys.argv[2]), 8000)
rec.start("complaint", 60.0)
for _ in range(50):
    rec.push(np.full(160, 1000, dtype=np.int16))
print(rec.stop()[0], flush=True)
time.sleep(120)
"""


def recording_call(call_id: str, rec_dir: Path) -> tuple[subprocess.Popen[str], Path]:
    proc = subprocess.Popen([sys.executable, "-c", RECORDER, call_id, str(rec_dir)],
                            stdout=subprocess.PIPE, text=True, cwd=REPO,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.stdout is not None
    path = Path(proc.stdout.readline().strip())
    assert path.is_file()
    return proc, path


def test_recordings_of_a_killed_agent_become_unconfirmed_tickets(tmp_path: Path,
                                                                 make_service) -> None:
    data = tmp_path / "data"
    rec = data / "recordings"
    url = f"sqlite:///{data / 't.db'}"
    data.mkdir()
    killed, orphan = recording_call("a" * 32, rec)
    live, live_path = recording_call("b" * 32, rec)
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        svc = make_service(url, data, number_key=TEST_KEY, orphan_min_age_s=0.0)
        assert svc.list_tickets() == []  # a reader (CLI, console) adopts nothing
        svc.start_replayer(3600.0)  # the agent's start: adopts once, then hourly
        tickets = svc.list_tickets()
        assert [t.call_id for t in tickets] == ["a" * 32]
        ticket = tickets[0]
        assert ticket.category == "complaint" and ticket.recording_path == str(orphan)
        assert "unconfirmed" in ticket.summary and "unconfirmed" in ticket.notes
        assert orphan.is_file() and live_path.is_file()  # nothing deleted
        assert svc.adopt_orphan_recordings() == []  # once only
    finally:
        live.kill()
        live.wait()


def test_finished_and_ticketed_calls_and_young_files_are_left_alone(tmp_path: Path,
                                                                    make_service) -> None:
    data = tmp_path / "data"
    rec = data / "recordings"
    rec.mkdir(parents=True)
    url = f"sqlite:///{data / 't.db'}"
    for call_id in ("c" * 32, "d" * 32, "e" * 32):
        (rec / f"{call_id}-complaint-1.wav").write_bytes(b"RIFF")
    (rec / "notes.txt").write_text("not a recording")
    young = make_service(url, data, number_key=TEST_KEY, orphan_min_age_s=3600.0)
    assert young.count_tickets() == 0  # the calls might still be going on: nothing at start
    young.record_call(CallRecordDraft(call_id="c" * 32, answered_at=T0, ended_at=T0,
                                      end_reason="caller_hangup"))
    young.open_ticket(TicketDraft(call_id="d" * 32, category="complaint", opened_at=T0))
    assert young.adopt_orphan_recordings() == []
    svc = make_service(url, data, number_key=TEST_KEY, orphan_min_age_s=0.0)
    svc.start_replayer(3600.0)
    assert svc.count_tickets() == 2  # "e" adopted at start; "c" ended, "d" has its ticket
    assert {t.call_id for t in svc.list_tickets()} == {"d" * 32, "e" * 32}


def test_a_reader_of_another_database_never_adopts_recordings(tmp_path: Path,
                                                              make_service) -> None:
    """`ivr tickets list --db other.db` or the console against a data dir that another
    database's agent records into must not turn that agent's recordings into tickets."""
    data = tmp_path / "data"
    rec = data / "recordings"
    rec.mkdir(parents=True)
    (rec / f"{'9' * 32}-complaint-1.wav").write_bytes(b"RIFF")
    reader = make_service(f"sqlite:///{data / 'other.db'}", data, orphan_min_age_s=0.0)
    assert reader.count_tickets() == 0
    assert (rec / f"{'9' * 32}-complaint-1.wav").is_file()


def test_a_recorder_that_ends_normally_leaves_no_live_lock(tmp_path: Path) -> None:
    import numpy as np

    from ivr.session.recording import CallRecorder

    rec = CallRecorder("f" * 32, tmp_path, 8000)
    rec.start("complaint", 5.0)
    rec.push(np.zeros(160, dtype=np.int16))
    rec.stop()
    assert list(tmp_path.glob("*.live"))  # held while the call goes on
    rec.close()
    assert not list(tmp_path.glob("*.live"))
