"""Issue 13 defect 5: a complaint is never lost (000 第八条: "将申诉/投诉详情完整记录").

A caller who states a complaint and hangs up before confirming, or a drain (SIGTERM) during the
recording or the confirmation, still leaves a ticket: opened from what was captured (the words,
the recording, the line figures the session adds), marked not confirmed. The policy emits it;
the recording is stopped first so the session can attach the file.
"""

from __future__ import annotations

from fakes import dtmf, hang_up, speech
from policy_support import length, opening, run

from ivr.policy import actions as a
from ivr.policy import events as e

STATED = "我要投诉,冰箱坏了"


def _complaint_tickets(call):
    return [t for t in call.tickets.values() if t.category == "complaint"]


def test_stated_then_hang_up_during_the_apology(settings):
    t = opening(settings) + 0.5
    call = run(settings, speech(t, 1.5, STATED, 0.9) + hang_up(t + 3.0))
    (ticket,) = _complaint_tickets(call)
    assert STATED in ticket.transcript
    assert "not confirmed" in ticket.notes
    assert call.reason == "caller_hangup"


def test_hang_up_during_the_recording_keeps_the_words_and_the_audio(settings):
    t = opening(settings) + 0.5
    rec = t + 1.5 + length(settings, "complaint_apology", "complaint_ask_details")
    script = speech(t, 1.5, "我要投诉", 0.9) + speech(rec + 0.5, 3.0, "冰箱送来就是坏的", 0.9)
    call = run(settings, script + hang_up(rec + 4.0))
    (ticket,) = _complaint_tickets(call)
    assert "冰箱送来就是坏的" in ticket.transcript and ticket.recording
    assert "not confirmed" in ticket.notes
    kinds = [type(x).__name__ for _, x in call.actions((a.StopRecording, a.OpenTicket))]
    assert kinds.index("StopRecording") < kinds.index("OpenTicket")


def test_drain_during_the_recording_files_the_complaint(settings):
    t = opening(settings) + 0.5
    rec = t + 1.5 + length(settings, "complaint_apology", "complaint_ask_details")
    script = speech(t, 1.5, "我要投诉", 0.9) + speech(rec + 0.5, 3.0, "冰箱送来就是坏的", 0.9)
    call = run(settings, [*script, e.ShutdownRequested(t=rec + 4.0)])
    (ticket,) = _complaint_tickets(call)
    assert "冰箱送来就是坏的" in ticket.transcript and "not confirmed" in ticket.notes
    assert call.reason == "shutdown"
    assert call.finished()[-1][1] == "closing_goodbye"


def test_drain_during_the_confirmation_files_the_complaint(settings):
    t = opening(settings) + 0.5
    rec = t + 1.5 + length(settings, "complaint_apology", "complaint_ask_details")
    script = speech(t, 1.5, "我要投诉", 0.9) + speech(rec + 0.5, 3.0, "快递三天没到", 0.9)
    stop = rec + 0.5 + 3.0 + settings.complaint.end_of_speech_s
    call = run(settings, [*script, e.ShutdownRequested(t=stop + 1.0)])
    (ticket,) = _complaint_tickets(call)
    assert ticket.transcript == "快递三天没到" and "not confirmed" in ticket.notes


def test_a_key_alone_is_not_a_stated_complaint(settings):
    t = opening(settings) + 0.5
    call = run(settings, dtmf(t, settings.menu.complaint_digit) + hang_up(t + 2.0))
    assert not _complaint_tickets(call)


def test_a_filed_complaint_is_not_filed_twice_on_hang_up(settings):
    t = opening(settings) + 0.5
    rec = t + 1.5 + length(settings, "complaint_apology", "complaint_ask_details")
    script = speech(t, 1.5, "我要投诉", 0.9) + speech(rec + 0.5, 3.0, "快递三天没到", 0.9)
    stop = rec + 0.5 + 3.0 + settings.complaint.end_of_speech_s
    confirm = stop + length(settings, "complaint_readback_intro", "快递三天没到",
                            "complaint_confirm")
    script += dtmf(confirm + 0.5, settings.menu.confirm_digit) + hang_up(confirm + 3.0)
    call = run(settings, script)
    (ticket,) = _complaint_tickets(call)
    assert "not confirmed" not in ticket.notes
