"""The benches' own arithmetic (bench/latency.py, bench/targets.py): what decides a printed
figure is tested like code, on packet times made up here. Runtime < 1 s."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import latency  # noqa: E402  (bench/latency.py)

from bench import targets  # noqa: E402


def test_a_reply_is_the_first_loud_packet_after_a_quiet_line():
    loud = [1.00, 1.02, 1.04, 2.50, 2.52]  # a prompt until 1.04 s, the reply from 2.5 s
    assert latency.answer_after(loud, 2.0) == 2.50
    # the agent was still talking when the caller's phrase ended: barge-in, not a reply
    assert latency.answer_after(loud, 1.03) is None
    assert latency.answer_after(loud, 1.04 + latency.REPLY_QUIET_S / 2) is None
    # nothing within the answer window: no reply
    late = [*loud, 2.52 + 1.0 + latency.ANSWER_WINDOW_S + 0.1]
    assert latency.answer_after(late, 2.52 + 1.0) is None
    assert latency.answer_after(loud, 3.0) is None


def test_ladder_gaps_on_the_agent_clock_pair_each_phrase_with_its_timer():
    log = "\n".join([
        "call aa t=10.56 event PromptFinished(prompt_id=greeting)",
        "call bb t=10.57 event PromptFinished(prompt_id=greeting)",
        "call aa t=12.00 event TimerFired(name=answer)",  # not the ladder: ignored
        "call aa t=15.56 event TimerFired(name=ladder)",
        "call bb t=15.60 event TimerFired(name=ladder)",
        "call aa t=18.88 event PromptFinished(prompt_id=silent_reprompt)",
        "call aa t=23.89 event TimerFired(name=ladder)",
    ])
    gaps = latency.ladder_timer_gaps(log)
    assert [round(g, 2) for g in gaps] == [5.0, 5.03, 5.01]


def test_target_rows_compare_and_say_when_nothing_was_measured():
    ok = targets.at_most("reply p95", 372.0, targets.REPLY_P95_MS_MAX, "ms", ".0f")
    miss = targets.at_most("dtmf p95", 151.0, targets.DTMF_P95_MS_MAX, "ms", ".0f")
    none = targets.at_least("talkers", None, targets.TALKERS_MIN, "talkers")
    assert (ok.ok, miss.ok, none.ok) == (True, False, None)
    assert ok.measured == "372 ms" and ok.goal == "<= 600 ms"
    assert none.measured == "not measured"
