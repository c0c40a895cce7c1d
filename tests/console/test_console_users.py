"""Users on the web and the command line: add (role, department), reset a password (typed or
generated and shown once), deactivate (no sign-in, open sessions end at once), reactivate.
Every change is audited without the password or its hash; every form needs the CSRF token."""

from __future__ import annotations

import io
import json
import re

import pytest
from consolekit import csrf_of, open_ticket


def post(client, data: dict[str, str], page: str = "/admin/users"):
    token = csrf_of(client.get(page).text)
    return client.post(page, data={"csrf": token, **data})


def sign_in_as(kit, name: str, password: str):
    client = kit.client()
    token = csrf_of(client.get("/login").text)
    return client, client.post(
        "/login", data={"csrf": token, "username": name, "password": password, "next": "/"},
        follow_redirects=False,
    )


def audit_rows(kit, action: str) -> list:
    return [a for a in kit.console.store.audit_log() if a.action == action]


def test_admin_adds_an_agent_with_a_department_who_can_then_sign_in(kit):
    admin = kit.sign_in("ada")
    page = post(admin, {"op": "add", "name": "bea", "role": "agent",
                        "department": "billing", "password": "bea-pass-1234"})
    assert page.status_code == 200 and 'id="users-done"' in page.text
    assert 'id="new-password"' not in page.text  # typed, so nothing to show
    user = next(u for u in kit.console.store.list_users() if u.name == "bea")
    assert (user.role, user.department, user.active) == ("agent", "billing", True)
    _client, answer = sign_in_as(kit, "bea", "bea-pass-1234")
    assert answer.status_code == 303 and answer.headers["location"] == "/desk"
    # The same name again is refused, not overwritten.
    again = post(admin, {"op": "add", "name": "bea", "role": "admin", "password": "x" * 12})
    assert "already exists" in again.text
    assert next(u for u in kit.console.store.list_users() if u.name == "bea").role == "agent"
    (row,) = audit_rows(kit, "user.add")[:1]
    assert row.actor == "ada" and row.target == "bea"
    assert row.after == {"role": "agent", "department": "billing", "password": "set"}


def test_a_blank_password_is_generated_and_shown_once(kit):
    admin = kit.sign_in("ada")
    page = post(admin, {"op": "add", "name": "cal", "role": "manager", "password": ""})
    shown = re.search(r'id="new-password">([^<]+)<', page.text)
    assert shown, page.text
    password = shown.group(1)
    assert len(password) >= 10
    assert password not in admin.get("/admin/users").text  # once: not on the next load
    assert sign_in_as(kit, "cal", password)[1].status_code == 303
    # Reset with a generated password: the old one stops working, the new one works.
    page = post(admin, {"op": "reset", "name": "cal", "password": ""})
    fresh = re.search(r'id="new-password">([^<]+)<', page.text).group(1)
    assert fresh != password
    assert sign_in_as(kit, "cal", password)[1].status_code == 401
    assert sign_in_as(kit, "cal", fresh)[1].status_code == 303
    # No password and no hash in the audit trail.
    dumped = json.dumps([(a.before, a.after) for a in kit.console.store.audit_log()])
    assert password not in dumped and fresh not in dumped and "argon2" not in dumped
    assert audit_rows(kit, "user.reset_password")[0].after["password"] == "reset"


def test_a_weak_typed_password_is_refused_with_the_rule(kit):
    admin = kit.sign_in("ada")
    page = post(admin, {"op": "add", "name": "dan", "role": "agent", "password": "short"})
    assert "at least 10 characters" in page.text
    assert "dan" not in [u.name for u in kit.console.store.list_users()]


def test_deactivation_ends_the_users_sessions_at_once_and_blocks_sign_in(kit):
    agent = kit.sign_in("ann")
    assert agent.get("/desk", follow_redirects=False).status_code == 200
    admin = kit.sign_in("ada")
    page = post(admin, {"op": "deactivate", "name": "ann"})
    assert 'id="users-done"' in page.text
    # The agent's next page load goes to sign-in.
    answer = agent.get("/desk", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert sign_in_as(kit, "ann", "agent-pass-123")[1].status_code == 401
    row = audit_rows(kit, "user.deactivate")[0]
    assert row.before == {"active": True} and row.after["active"] is False
    assert row.after["sessions_ended"] == 1
    # Reactivated: signs in again.
    post(admin, {"op": "activate", "name": "ann"})
    assert sign_in_as(kit, "ann", "agent-pass-123")[1].status_code == 303
    assert audit_rows(kit, "user.activate")[0].after == {"active": True}


def test_an_admin_cannot_lock_everyone_out(kit):
    admin = kit.sign_in("ada")
    assert "不能停用自己的账号" in post(admin, {"op": "deactivate", "name": "ada"}).text
    from ivr.tickets import InvalidDraft

    with pytest.raises(InvalidDraft, match="last active admin"):
        kit.console.store.set_active("ada", False, kit.clock())
    assert all(u.active for u in kit.console.store.list_users())


def test_user_forms_need_the_csrf_token_and_the_admin_role(kit):
    admin = kit.sign_in("ada")
    refused = admin.post("/admin/users", data={"op": "deactivate", "name": "ann"})
    assert refused.status_code == 403
    manager = kit.sign_in("max")
    token = csrf_of(manager.get("/report").text)
    assert manager.post("/admin/users", data={"csrf": token, "op": "deactivate",
                                              "name": "ann"}).status_code == 403
    assert all(u.active for u in kit.console.store.list_users())
    page = admin.get("/admin/users").text
    assert page.count('name="csrf"') >= 1 + 2 * len(kit.console.store.list_users())


def test_cli_deactivates_reactivates_and_resets(kit, monkeypatch, capsys):
    from ivr.cli import main

    db = str(kit.console.tickets.engine.url)
    config = str(kit.tmp / "config" / "ivr.toml")
    agent = kit.sign_in("ann")
    assert main(["--config", config, "users", "deactivate", "ann", "--db", db]) == 0
    assert "deactivated" in capsys.readouterr().out
    assert agent.get("/desk", follow_redirects=False).status_code == 303
    assert sign_in_as(kit, "ann", "agent-pass-123")[1].status_code == 401
    assert main(["--config", config, "users", "activate", "ann", "--db", db]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("brand-new-pass-1\n"))
    assert main(["--config", config, "users", "reset-password", "ann", "--password-stdin",
                 "--db", db]) == 0
    assert sign_in_as(kit, "ann", "agent-pass-123")[1].status_code == 401
    assert sign_in_as(kit, "ann", "brand-new-pass-1")[1].status_code == 303
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["--config", config, "users", "reset-password", "ann", "--password-stdin",
                 "--db", db]) == 1
    assert "at least 10" in capsys.readouterr().err
    assert main(["--config", config, "users", "deactivate", "nobody", "--db", db]) == 1
    assert "no console user named 'nobody'" in capsys.readouterr().err
    actions = [a.action for a in kit.console.store.audit_log() if a.actor == "cli"]
    assert {"user.deactivate", "user.activate", "user.reset_password"} <= set(actions)


def test_an_open_event_stream_ends_when_the_user_is_deactivated(kit):
    """Sessions end at once, including the desk's open Server-Sent Events stream: no screen
    pop reaches a deactivated agent."""
    import threading
    import time

    ticket = open_ticket(kit.console, "c-after-deactivation")
    client = kit.sign_in("ann")
    kit.console.poll_s = 0.05
    lines: list[str] = []

    def deactivate_then_publish() -> None:
        time.sleep(0.5)
        kit.console.store.set_active("ann", False, kit.clock(), actor="ada")
        kit.console.tickets.publish_event("transfer", ticket_ref=ticket.short_id,
                                          queue="default")

    threading.Thread(target=deactivate_then_publish, daemon=True).start()
    with client.stream("GET", "/events") as stream:
        for line in stream.iter_lines():
            lines.append(line)
            if line.startswith("data:"):
                break
    assert not [line for line in lines if line.startswith("data:")]
    assert client.get("/events").status_code == 401  # the reconnect
