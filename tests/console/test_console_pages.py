"""What agents, managers and admins see and do, through HTTP, on a real SQLite database."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

from consolekit import NOW, csrf_of, open_ticket


def test_queue_shows_overdue_first_then_by_promised_time(kit):
    # complaint: answered the same working day (seed 000 第十条); NOW is Monday 11:00 in
    # Shanghai. Opened 70 h ago (Friday 13:00) -> overdue since Friday 18:00; 2 h ago -> due today
    # 18:00;
    # suggestion: 24 h, opened now -> due latest.
    late = open_ticket(kit.console, "c-late", hours_ago=70, department="default")
    soon = open_ticket(kit.console, "c-soon", hours_ago=2, department="default")
    later = open_ticket(
        kit.console, "c-later", hours_ago=0.1, category="suggestion", department="default"
    )
    elsewhere = open_ticket(kit.console, "c-else", hours_ago=100, department="billing")
    page = kit.sign_in("ann").get("/desk").text  # ann's department: default
    order = [t.short_id for t in (late, soon, later) if t.short_id in page]
    assert order == [late.short_id, soon.short_id, later.short_id]
    positions = [page.index(t.short_id) for t in (late, soon, later)]
    assert positions == sorted(positions)
    assert elsewhere.short_id not in page
    everything = kit.sign_in("ann").get("/desk?view=open").text
    assert everything.index(elsewhere.short_id) < everything.index(late.short_id)  # due Thursday
    assert "已超时" in page
    # A ticket the bot transferred to ann's queue is hers before anyone dispatched it.
    transferred = open_ticket(kit.console, "c-transfer", hours_ago=1)
    kit.console.tickets.publish_event("transfer", ticket_ref=transferred.short_id,
                                      queue="default")
    assert transferred.short_id in kit.sign_in("ann").get("/desk").text


def _act(client, ref, **data):
    page = client.get(f"/tickets/{ref}")
    return client.post(f"/tickets/{ref}/act", data={"csrf": csrf_of(page.text), **data})


def test_agent_works_a_ticket_through_its_life_and_every_change_is_audited(kit):
    ticket = open_ticket(kit.console, "c-life", caller_surname="王", transcript="水费太高了")
    client = kit.sign_in("ann")
    page = client.get(f"/tickets/{ticket.short_id}").text
    assert "水费太高了" in page and "王" in page
    steps = [
        {"action": "first_reply", "note": "已回电"},
        {"action": "note", "note": "客户要求书面答复"},
        {"action": "mark_complex"},
        {"action": "dispatch", "department": "default"},
        {"action": "resolve", "note": "已退费"},
        {"action": "close"},
        {"action": "reopen", "note": "客户再次来电"},
    ]
    for step in steps:
        kit.clock.now += timedelta(minutes=5)
        assert _act(client, ticket.short_id, **step).status_code == 200, step
    view = kit.console.tickets.get(ticket.short_id)
    assert view.status == "dispatched" and view.severity == "complex"
    assert view.replied_at == NOW + timedelta(minutes=5)
    assert "客户要求书面答复" in view.notes
    actions = [e.action for e in view.events]
    assert actions == [
        "open", "first_reply", "note", "mark_complex", "dispatch:default", "resolve", "close",
        "reopen",
    ]
    audit = [a for a in kit.console.store.audit_log() if a.action.startswith("ticket.")]
    assert [a.action for a in reversed(audit)] == [f"ticket.{s['action']}" for s in steps]
    complex_entry = next(a for a in audit if a.action == "ticket.mark_complex")
    assert complex_entry.actor == "ann"
    assert complex_entry.before["severity"] == "normal"
    assert complex_entry.after["severity"] == "complex"
    assert complex_entry.after["promised_reply_by"] != complex_entry.before["promised_reply_by"]


def test_an_illegal_move_is_explained_not_applied(kit):
    ticket = open_ticket(kit.console, "c-bad")
    client = kit.sign_in("ann")
    response = _act(client, ticket.short_id, action="close")
    assert response.status_code == 200
    assert "cannot close" in response.text
    assert kit.console.tickets.get(ticket.short_id).status == "new"


def test_ticket_page_shows_the_call_timeline_and_line_reports(kit):
    ticket = open_ticket(kit.console, "abc123:r1", level_dbfs=-31.5, snr_db=12.0)
    calls = kit.console.settings.data_dir / "calls"
    calls.mkdir(parents=True, exist_ok=True)
    (calls / "abc123.json").write_text(json.dumps({
        "call_id": "abc123",
        "timeline": [
            {"t": 0.0, "kind": "event", "what": "Answered(ring_s=0.0)"},
            {"t": 1.0, "kind": "event",
             "what": "LineReport(verdict=low_volume, level_dbfs=-44.2, snr_db=6.1)"},
            {"t": 2.0, "kind": "action", "what": "Play(prompt_id=low_volume_1)"},
        ],
    }))
    page = kit.sign_in("ann").get(f"/tickets/{ticket.short_id}").text
    assert "low_volume_1" in page and "-44.2" in page and "-31.5" in page


def test_a_transfer_event_pops_up_on_the_queues_agents_stream(kit):
    ticket = open_ticket(kit.console, "c-pop")
    client = kit.sign_in("ann")
    kit.console.poll_s = 0.05
    got: list[str] = []

    def publish() -> None:
        time.sleep(0.5)
        svc = kit.console.tickets
        svc.publish_event("transfer", ticket_ref="deadbeef", queue="billing")  # not ann's
        svc.publish_event("transfer", ticket_ref=ticket.short_id, queue="default")

    threading.Thread(target=publish, daemon=True).start()
    with client.stream("GET", "/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                got.append(line)
                break
    assert json.loads(got[0][5:]) == {"ticket": ticket.short_id, "queue": "default"}
    card = client.get(f"/tickets/{ticket.short_id}/card").text
    assert ticket.short_id in card and "/tickets/" in card


def test_manager_report_counts_the_months_calls_and_exports_csv(kit):
    from ivr.tickets import CallRecordDraft

    for i, reason in enumerate(["transferred", "normal", "normal", "silent"]):
        start = NOW - timedelta(days=20, minutes=i)  # November 2026 (Shanghai)
        kit.console.tickets.record_call(
            CallRecordDraft(call_id=f"m{i}", answered_at=start,
                            ended_at=start + timedelta(seconds=40), end_reason=reason)
        )
    open_ticket(kit.console, "m-ticket", hours_ago=24 * 20)
    client = kit.sign_in("max")
    page = client.get("/report?month=2026-11").text
    assert 'id="calls-total">4<' in page
    assert "转人工" in page and "正常结束" in page and "<svg" in page
    assert "75.0%" in page  # contained: 3 of 4 ended without a person
    assert 'id="aht">40 s<' in page  # every call lasted 40 s
    # SLA by week: the complaint opened 20 days before NOW (Tue 2026-11-10, week 46), 24 h
    # promise, no reply -> missed.
    assert "2026-W46 (0/1)" in page
    csv_text = client.get("/report.csv?month=2026-11").text
    assert "2026-11,calls,total,4" in csv_text
    # Default month: the last complete one (October 2026 at NOW).
    assert 'id="report-month">2026-10<' in client.get("/report").text


def test_report_counts_abandoned_calls_and_explains_them(kit):
    """A hang-up in the greeting is abandoned; one after the goodbye is contained; the page
    and the CSV say what abandoned means."""
    from ivr.tickets import CallRecordDraft

    kinds = [("caller_hangup", ("greeting",)), ("caller_hangup", ("closing_goodbye",)),
             ("normal", ("closing_goodbye",)), ("transferred", ())]
    for i, (reason, prompts) in enumerate(kinds):
        start = NOW - timedelta(days=20, minutes=i)
        kit.console.tickets.record_call(
            CallRecordDraft(call_id=f"a{i}", answered_at=start, prompts_played=prompts,
                            ended_at=start + timedelta(seconds=40), end_reason=reason)
        )
    client = kit.sign_in("max")
    page = client.get("/report?month=2026-11").text
    assert 'id="abandoned">1<' in page
    assert "50.0%" in page  # contained: the goodbye hang-up and the normal end, 2 of 4
    assert 'id="fn-abandoned"' in page and "放弃来电" in page and "得到服务之前" in page
    assert 'id="fn-status"' in page and "月末" in page
    csv_text = client.get("/report.csv?month=2026-11").text
    assert "2026-11,calls,abandoned,1" in csv_text and "2026-11,calls,contained,2" in csv_text
    assert "2026-11,definition,abandoned," in csv_text


def test_english_is_one_click_away(kit):
    client = kit.sign_in("max")
    client.get("/lang?to=en-US&next=/report")
    assert "Monthly report" in client.get("/report").text


def test_doctor_checks_console_users_and_port(kit):
    import socket

    from ivr import doctor

    settings = kit.console.settings.model_copy(
        update={"database": kit.console.settings.database.model_copy(
            update={"url": f"sqlite:///{kit.tmp}/tickets.db"})}
    )
    result = doctor.check_console_users(settings)
    assert result.status == "OK" and "1 admin" in result.detail, result
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert doctor.check_console_port("127.0.0.1", port).status == "WARN"
    from browserkit import serve

    base, stop = serve(kit.app)
    try:
        port = int(base.rsplit(":", 1)[1])
        assert "answers" in doctor.check_console_port("127.0.0.1", port).detail
    finally:
        stop()
