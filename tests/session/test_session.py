"""A whole call through the real session (monitor, segmenter, policy, player) in virtual time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from ivr.config import load_settings
from ivr.media.wavio import read_wav
from tests.session.harness import FRAME_S, VirtualLine

SPEECH_DIR = Path("/usr/share/pocketsphinx/test/data")


@pytest.fixture(scope="module")
def settings():
    return load_settings()


def _speech_8k(level_dbfs: float, seconds: float) -> np.ndarray:
    from ivr.media.levels import active_speech_level_dbfs
    from ivr.media.resample import resample

    files = sorted(SPEECH_DIR.rglob("*.wav"))
    if not files:
        pytest.skip("pocketsphinx-testdata is not installed")
    chunks, total = [], 0
    for path in files:
        audio = read_wav(path)
        x = resample(audio.samples, audio.rate_hz, 8000)
        chunks.append(x)
        total += len(x)
        if total >= seconds * 8000:
            break
    x = np.concatenate(chunks)[: int(seconds * 8000)].astype(np.float64)
    level = active_speech_level_dbfs(x.astype(np.int16), 8000)
    assert level is not None
    return np.clip(x * 10 ** ((level_dbfs - level) / 20), -32768, 32767).astype(np.int16)


def _espeak_8k(text: str) -> np.ndarray:
    """One continuous utterance (espeak-ng leaves no pause inside a short phrase)."""
    import subprocess
    import tempfile

    from ivr.media.resample import resample

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "say.wav"
        subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(path), text], check=True, timeout=60)
        audio = read_wav(path)
    return resample(audio.samples, audio.rate_hz, 8000)


def test_silent_call_hangs_up_at_the_configured_ladder_time(settings):
    line = VirtualLine(settings)
    outcome = line.run()
    lib, loc, sc = line.library, "zh-CN", settings.silent_call
    greeting = lib.seconds(loc, "greeting") + (
        lib.seconds(loc, "menu") if settings.greeting.menu_after_greeting else 0.0
    )
    expected = (
        greeting
        + sc.after_greeting_s
        + lib.seconds(loc, "silent_reprompt")
        + sc.after_reprompt_s
        + lib.seconds(loc, "silent_final_notice")
        + sc.after_final_notice_s
    )
    assert outcome.end_reason == "silent"
    hangup_t = line.control.hangups[0] - line.t0
    # Frame-clocked: within two frames of the exact ladder time.
    assert hangup_t == pytest.approx(expected, abs=2 * FRAME_S + 1e-6)
    assert outcome.prompts_played[-2:] == ["silent_reprompt", "silent_final_notice"]


def test_changing_a_timer_changes_the_hangup_time(settings):
    slower = load_settings(overrides={"silent_call": {"after_reprompt_s": 9.0}})
    base = VirtualLine(settings).run().duration_s
    changed = VirtualLine(slower).run().duration_s
    assert changed - base == pytest.approx(4.0, abs=2 * FRAME_S + 1e-6)


def test_quiet_caller_gets_the_low_volume_ladder(settings):
    lead = 12.0
    audio = np.concatenate([np.zeros(int(lead * 8000), np.int16), _speech_8k(-50.0, 40.0)])
    line = VirtualLine(settings, caller_audio=audio)
    outcome = line.run()
    assert outcome.end_reason == "low_volume"
    played = outcome.prompts_played
    assert "low_volume_call_again" in played
    first = next(p for p in played if p.startswith("low_volume"))
    assert first in ("low_volume_speak_louder", "low_volume_pick_up_handset")
    # Never hung up without saying why first (seed 000 第十七条 6: 不可以直接挂机).
    said = line.first("Play(prompt_id=low_volume_call_again")
    assert line.control.hangups[0] - line.t0 >= said + settings.low_volume.hangup_after_final_s


def test_normal_caller_is_not_treated_as_silent(settings):
    lead = 12.0
    audio = np.concatenate([np.zeros(int(lead * 8000), np.int16), _speech_8k(-22.0, 20.0)])
    line = VirtualLine(settings, caller_audio=audio, hang_up_at=30.0)
    outcome = line.run()
    assert outcome.end_reason == "caller_hangup"
    assert "silent_final_notice" not in outcome.prompts_played
    assert not [p for p in outcome.prompts_played if p.startswith(("low_volume", "noisy"))]


def test_dtmf_complaint_opens_a_ticket_with_the_recording(settings, tmp_path):
    from ivr.tickets.service import TicketService

    settings = load_settings(overrides={"paths": {"data_dir": str(tmp_path)}})
    service = TicketService.from_settings(settings, url=f"sqlite:///{tmp_path}/t.db")
    details = _speech_8k(-22.0, 6.0)
    press = 1.0
    lib = VirtualLine(settings).library
    ask = lib.seconds("zh-CN", "complaint_apology") + lib.seconds("zh-CN", "complaint_ask_details")
    speak_at = press + ask + 1.0
    audio = np.concatenate([np.zeros(int(speak_at * 8000), np.int16), details])
    end_at = speak_at + 6.5
    confirm_at = end_at + 12.0
    line = VirtualLine(
        settings,
        caller_audio=audio,
        tickets=service,
        recordings_dir=tmp_path / "rec",
        dtmf=[(press, "1"), (end_at, "#"), (confirm_at, "1")],
    )
    try:
        outcome = line.run()
        assert outcome.end_reason == "normal", line.session.timeline
        assert len(outcome.ticket_ids) == 1
        tickets = service.list_tickets()
        assert [t.category for t in tickets] == ["complaint"]
        ticket = tickets[0]
        assert ticket.recording_path and Path(ticket.recording_path).is_file()
        recorded = read_wav(ticket.recording_path)
        assert recorded.duration_s >= 5.0
        assert "complaint_promise" in outcome.prompts_played
        assert ticket.caller_number and "****" in ticket.caller_number
    finally:
        service.shutdown()


def test_person_request_transfers_with_the_ticket(settings, tmp_path):
    from ivr.tickets.service import TicketService

    settings = load_settings(overrides={"paths": {"data_dir": str(tmp_path)}})
    service = TicketService.from_settings(settings, url=f"sqlite:///{tmp_path}/t.db")
    try:
        line = VirtualLine(settings, dtmf=[(1.0, settings.menu.person_digit)], tickets=service)
        outcome = line.run()
    finally:
        service.shutdown()
    assert outcome.end_reason == "transferred", line.session.timeline
    uri, headers = line.control.transfers[0]
    assert uri == settings.transfer.queues[settings.transfer.default_queue]
    assert "transfer_notice" in outcome.prompts_played
    ticket = outcome.ticket_ids[0]
    assert headers["X-Ticket-Id"] == ticket
    assert bytes.fromhex(headers["User-to-User"].split(";")[0]).decode() == ticket


def test_transfer_publishes_a_screen_pop_for_the_console(settings, tmp_path):
    """The REFER's X-Ticket-Id and the queue name reach the console's event table (real SQLite),
    so the desk's signed-in agents see the ticket open (ivr.console.desk.events)."""
    from ivr.tickets.console_store import ConsoleStore
    from ivr.tickets.service import TicketService

    settings = load_settings(overrides={"paths": {"data_dir": str(tmp_path)}})
    service = TicketService.from_settings(settings, url=f"sqlite:///{tmp_path}/t.db")
    try:
        line = VirtualLine(settings, dtmf=[(1.0, settings.menu.person_digit)], tickets=service)
        outcome = line.run()
        events = ConsoleStore(service).events_after(0)
    finally:
        service.shutdown()
    _, headers = line.control.transfers[0]
    assert [(e.kind, e.ticket_ref, e.queue) for e in events] == [
        ("transfer", headers["X-Ticket-Id"], settings.transfer.default_queue)
    ]
    assert outcome.ticket_ids == [headers["X-Ticket-Id"]]


def test_snapshot_for_the_live_calls_page_masks_the_number_and_omits_speech(settings):
    line = VirtualLine(settings, dtmf=[(1.0, settings.menu.person_digit)],
                       caller="13812345678")
    line.run()
    snap = line.session.snapshot()
    assert snap["caller"] == "138****5678"
    assert snap["duration_s"] > 1.0 and snap["step"]
    assert "13812345678" not in str(snap)
    assert set(snap) == {"call_id", "caller", "duration_s", "step", "playing", "verdict",
                         "level_dbfs", "snr_db", "asr"}


def test_after_hours_request_for_a_person_gets_a_callback_promise(settings):
    night = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.timezone.utc)  # 23:00 in Shanghai
    line = VirtualLine(settings, dtmf=[(1.0, settings.menu.person_digit)], answered_at=night)
    outcome = line.run()
    assert not line.control.transfers
    assert "after_hours" in outcome.prompts_played


def test_spoken_complaint_with_the_callers_name_reaches_the_ticket(settings, tmp_path):
    """Recogniser path: the transcript names the caller (000 第十六条 2) and states a complaint;
    the session feeds speech to the recogniser and the name lands on the ticket, not in logs."""
    from ivr.tickets.service import TicketService

    settings = load_settings(overrides={"paths": {"data_dir": str(tmp_path)}})
    service = TicketService.from_settings(settings, url=f"sqlite:///{tmp_path}/t.db")
    talk = _espeak_8k("我要投诉")
    talk_s = len(talk) / 8000
    lib = VirtualLine(settings).library
    ask = lib.seconds("zh-CN", "complaint_apology") + lib.seconds("zh-CN", "complaint_ask_details")
    first_at = 2.0
    details_at = first_at + talk_s + 1.0 + ask + 1.0
    gap = np.zeros(int((details_at - first_at - talk_s) * 8000), np.int16)
    audio = np.concatenate([np.zeros(int(first_at * 8000), np.int16), talk, gap, talk])
    end_at = details_at + talk_s + 1.0
    line = VirtualLine(
        settings,
        caller_audio=audio,
        tickets=service,
        recordings_dir=tmp_path / "rec",
        transcripts=["我是王先生,我要投诉", "冰箱一直没有送到"],
        dtmf=[(end_at, "#"), (end_at + 14.0, "1")],
    )
    try:
        outcome = line.run()
        tickets = service.list_tickets()
    finally:
        service.shutdown()
    assert outcome.end_reason == "normal", line.session.timeline
    assert line.recognizer is not None and line.recognizer.fed_bytes > 0
    complaint = next(t for t in tickets if t.category == "complaint")
    assert complaint.caller_surname == "王"
    assert "冰箱" in complaint.transcript
    assert not any("王" in what for _, _, what in line.session.timeline)


class CapturingStore:
    """A ticket store that keeps what the session hands it (the register is tested apart)."""

    def __init__(self) -> None:
        self.drafts: list = []
        self.records: list = []

    def open_ticket(self, draft):
        from ivr.tickets.types import TicketReceipt, short_id, ticket_uuid

        self.drafts.append(draft)
        ticket_id = ticket_uuid(draft.call_id, draft.category)
        return TicketReceipt(ticket_id, short_id(ticket_id), None)

    def record_call(self, record) -> None:
        self.records.append(record)

    def set_satisfaction(self, ticket_id: str, score: int) -> None:
        pass


def test_ticket_and_call_record_times_come_from_the_sessions_clock(settings):
    """opened_at is the answer time plus the call's age on the injected (virtual) clock, not
    the machine's wall clock; the call record's end likewise."""
    store = CapturingStore()
    line = VirtualLine(settings, dtmf=[(1.0, settings.menu.person_digit)], tickets=store)
    outcome = line.run()
    (draft,) = store.drafts
    (opened_t,) = [t for t, kind, what in line.events("action") if what.startswith("OpenTicket")]
    answered = line.session.facts.answered_at
    assert draft.opened_at == answered + dt.timedelta(seconds=opened_t)
    (record,) = store.records
    assert record.ended_at == answered + dt.timedelta(seconds=outcome.duration_s)


def test_after_hours_callback_number_is_confirmed_and_stored_encrypted(tmp_path, caplog,
                                                                      monkeypatch):
    """Seed 001 特殊 11: the calling number, read back in full, confirmed by key, on the ticket."""
    import logging

    from ivr.tickets.service import TicketService

    caplog.set_level(logging.DEBUG)
    settings = load_settings(overrides={"paths": {"data_dir": str(tmp_path)}})
    monkeypatch.setenv(settings.privacy.number_key_env, "test-number-key-0123456789abcdef")
    service = TicketService.from_settings(settings, url=f"sqlite:///{tmp_path}/t.db")
    night = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.timezone.utc)  # 23:00 in Shanghai
    lib = VirtualLine(settings).library
    confirm_at = 1.5 + lib.seconds("zh-CN", "contact_number_use_caller") + 1.0
    line = VirtualLine(settings, dtmf=[(1.0, settings.menu.person_digit), (confirm_at, "1")],
                       answered_at=night, tickets=service, caller="13812345678")
    try:
        outcome = line.run()
        ticket = service.list_tickets()[0]
        assert service.contact_number(ticket.id) == "13812345678"
    finally:
        service.shutdown()
    prompts = outcome.prompts_played
    assert prompts.index("contact_number_use_caller") < prompts.index("after_hours")
    assert "13812345678" not in caplog.text
    assert "幺三八" not in caplog.text  # nor its read-back
