"""/health's ticket-store checks against real failures: a database that refuses connections,
and a journal directory that cannot be written. (The HTTP side and draining: tests/scale/
test_ops_endpoint.py.)"""

from __future__ import annotations

import shutil

from ticket_helpers import TEST_KEY, unreachable_pg_url

from ivr.ops.health import health_response, run_checks, ticket_checks
from ivr.tickets.service import TicketService


def _status(service):
    return health_response(run_checks(ticket_checks(service)))


def test_a_working_store_is_healthy(make_service, tmp_path):
    svc = make_service(f"sqlite:///{tmp_path / 'ok.db'}")
    status, body = _status(svc)
    assert status == 200, body
    assert body["checks"]["journal"]["detail"] == "0 entries waiting"


def test_an_unreachable_database_is_503_naming_tickets_db(tmp_path):
    svc = TicketService(unreachable_pg_url(), tmp_path / "data", number_key=TEST_KEY)
    try:
        status, body = _status(svc)
    finally:
        svc.shutdown()
    assert status == 503 and body["failing"] == ["tickets_db"], body
    assert "is not available" in body["checks"]["tickets_db"]["detail"]
    assert "nothing" not in body["checks"]["tickets_db"]["detail"]  # no password in the body


def test_a_journal_that_cannot_be_written_is_503_naming_journal(make_service, tmp_path):
    svc = make_service(f"sqlite:///{tmp_path / 'ok.db'}", tmp_path / "data")
    directory = svc.journal.directory
    shutil.rmtree(directory)
    directory.write_text("a file where the journal folder was\n")  # even root cannot write
    status, body = _status(svc)
    assert status == 503 and body["failing"] == ["journal"], body
    assert "cannot write" in body["checks"]["journal"]["detail"]
