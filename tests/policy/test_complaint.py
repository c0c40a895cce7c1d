"""Seed 000 第八条, seed 001 用户抱怨和投诉 3/8, 核实信息 1: complaint intake, DTMF or speech."""

from __future__ import annotations

import pytest
from fakes import dtmf, hang_up, speech
from policy_support import length, opening, run

from ivr.config import load_settings
from ivr.policy import actions as a


def test_dtmf_only_complaint_runs_the_whole_flow_with_exact_times(settings):
    """No recogniser at all: keys and the VAD's speech segments drive everything."""
    cfg = settings
    t = opening(cfg) + 0.5
    rec = t + length(cfg, "complaint_apology", "complaint_ask_details", "tone")
    talk = rec + 1.0
    end_key = talk + 6.0 + 0.5
    confirm_key = end_key + length(cfg, "complaint_confirm") + 1.0
    script = dtmf(t, cfg.menu.complaint_digit) + speech(talk, 6.0) + dtmf(end_key, "#")
    script += dtmf(confirm_key, cfg.menu.confirm_digit)
    spoken = length(cfg, "pen_and_paper", "complaint_ticket_number", "complaint_promise",
                    "closing_anything_else")
    # "麻烦您准备下纸跟笔好吗?" then, with no answer, complaint.pen_wait_s before the number.
    survey_t = confirm_key + 0.2 + spoken + cfg.complaint.pen_wait_s + cfg.dialogue.intent_timeout_s
    call = run(cfg, script + dtmf(survey_t + 1.0, "4"), ticket_delay_s=0.2)
    assert (pytest.approx(survey_t), "survey") in call.plays()
    (start,) = call.actions(a.StartRecording)
    assert start[0] == pytest.approx(rec) and start[1].max_s == cfg.complaint.max_recording_s
    (stop,) = call.actions(a.StopRecording)
    assert stop[0] == pytest.approx(end_key)
    # No transcript: nothing is read back, the caller is only asked to confirm.
    assert not call.actions(a.Say)
    assert (pytest.approx(end_key), "complaint_confirm") in call.plays()
    (ticket,) = call.tickets.values()
    assert ticket.category == "complaint"
    assert ticket.promised_hours == cfg.commitments["complaint"].promised_hours
    told = dict((p, tt) for tt, p in call.plays())
    assert told["complaint_ticket_number"] == pytest.approx(
        confirm_key + call.ticket_delay_s + length(cfg, "pen_and_paper") + cfg.complaint.pen_wait_s)
    promise = call.actions(a.Play)
    promise_vars = next(x.vars for _, x in promise if x.prompt_id == "complaint_promise")
    # Tuesday afternoon: 000 第十条 "当日内" -> by today's closing time (issue 13 defect 4).
    assert promise_vars == {"when": "在今天下午6点前"}
    assert call.updates and call.updates[0].fields == {"satisfaction": 4}
    assert call.reason == "normal"
    assert call.finished()[-1][1] == "closing_goodbye"


def test_spoken_complaint_is_read_back_and_confirmed_by_yes(settings):
    t = opening(settings) + 0.5
    rec = t + 1.5 + length(settings, "complaint_apology", "complaint_ask_details")
    script = speech(t, 1.5, "我要投诉", 0.9) + speech(rec + 0.5, 4.0, "快递三天没到", 0.9)
    stop = rec + 0.5 + 4.0 + settings.complaint.end_of_speech_s
    readback_end = stop + length(
        settings, "complaint_readback_intro", "快递三天没到", "complaint_confirm"
    )
    script += speech(readback_end + 0.5, 0.5, "是的", 0.9)
    call = run(settings, script)
    assert call.actions(a.StopRecording)[0][0] == pytest.approx(stop)
    (say,) = call.actions(a.Say)
    assert say[1].text == "快递三天没到"
    (ticket,) = call.tickets.values()
    assert ticket.transcript == "快递三天没到"


def test_recording_stops_at_the_maximum():
    cfg = load_settings(overrides={"complaint": {"max_recording_s": 10.0}})
    t = opening(cfg) + 0.5
    rec = t + length(cfg, "complaint_apology", "complaint_ask_details", "tone")
    call = run(cfg, dtmf(t, "1") + speech(rec + 0.5, 30.0))
    assert call.actions(a.StopRecording)[0][0] == pytest.approx(rec + 10.0)


def test_rerecord_with_2_then_confirm(settings):
    t = opening(settings) + 0.5
    rec = t + length(settings, "complaint_apology", "complaint_ask_details")
    k = rec + 3.0
    again = k + length(settings, "complaint_confirm") + 0.5
    rec2 = again + length(settings, "complaint_ask_details")
    k2 = rec2 + 3.0
    ok = k2 + length(settings, "complaint_confirm") + 0.5
    script = dtmf(t, "1") + speech(rec + 1, 1.0) + dtmf(k, "#") + dtmf(again, "2")
    script += speech(rec2 + 1, 1.0) + dtmf(k2, "#") + dtmf(ok, "1")
    call = run(settings, script)
    assert len(call.actions(a.StartRecording)) == 2
    assert len(call.tickets) == 1


def test_unconfirmed_complaint_is_still_filed(settings):
    t = opening(settings) + 0.5
    rec = t + length(settings, "complaint_apology", "complaint_ask_details")
    call = run(settings, dtmf(t, "1") + speech(rec + 1, 2.0) + dtmf(rec + 4, "#"))
    (ticket,) = call.tickets.values()
    assert ticket.notes.endswith("not confirmed by the caller")
    attempts = settings.complaint.confirm_attempts_count
    assert [p for _, p in call.plays()].count("complaint_confirm") == attempts


def test_caller_hanging_up_before_confirming_still_files_it(settings):
    t = opening(settings) + 0.5
    rec = t + length(settings, "complaint_apology", "complaint_ask_details")
    call = run(
        settings,
        dtmf(t, "1")
        + speech(rec + 1, 2.0, "东西坏了", 0.9)
        + dtmf(rec + 4, "#")
        + hang_up(rec + 6),
    )
    assert call.reason == "caller_hangup"
    (ticket,) = call.tickets.values()
    assert ticket.transcript == "东西坏了" and "hung up" in ticket.notes


def test_ticket_failure_still_tells_the_promise(settings):
    t = opening(settings) + 0.5
    rec = t + length(settings, "complaint_apology", "complaint_ask_details")
    k = rec + 3.0
    ok = k + length(settings, "complaint_confirm") + 0.5
    call = run(
        settings,
        dtmf(t, "1") + speech(rec + 1, 1.0) + dtmf(k, "#") + dtmf(ok, "1"),
        ticket_ok=False,
    )
    ids = [p for _, p in call.plays()]
    assert "complaint_ticket_number" not in ids and "complaint_promise" in ids
