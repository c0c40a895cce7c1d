"""Blacklist on the admin bench: view (manual and harassment-ticket blocks), add with a reason,
lift with a reason; the agent's look-up (TicketService.is_blacklisted) follows it."""

from __future__ import annotations

from datetime import timedelta

from consolekit import NOW, csrf_of, open_ticket


def _post(client, data):
    token = csrf_of(client.get("/admin/blacklist").text)
    return client.post("/admin/blacklist", data={"csrf": token, **data})


def test_block_view_and_lift(kit):
    svc = kit.console.tickets
    open_ticket(kit.console, "h1", category="harassment", caller_number="13900001111",
                hours_ago=24)
    client = kit.sign_in("ada")
    page = client.get("/admin/blacklist").text
    assert "139****1111" in page and "骚扰工单" in page
    assert "13900001111" not in page
    assert svc.is_blacklisted("13900001111", now=NOW)

    # A block needs a reason; with one, the number is blocked and shown masked.
    assert "needs a reason" in _post(client, {"op": "add", "number": "13800002222"}).text
    assert not svc.is_blacklisted("13800002222", now=NOW)
    page = _post(client, {"op": "add", "number": "13800002222", "reason": "辱骂坐席"}).text
    assert "138****2222" in page and "辱骂坐席" in page
    assert svc.is_blacklisted("13800002222", now=NOW + timedelta(days=400))  # no expiry

    # Lifting ends both kinds of block.
    views = {v.number_masked: v for v in svc.blacklist_view(NOW)}
    for masked in ("139****1111", "138****2222"):
        _post(client, {"op": "lift", "number_hash": views[masked].number_hash,
                       "reason": "误报"})
    assert not svc.is_blacklisted("13900001111", now=NOW)
    assert not svc.is_blacklisted("13800002222", now=NOW)
    assert svc.blacklist_view(NOW) == []
    # A new harassment ticket after the lift blocks again.
    kit.clock.now = NOW + timedelta(hours=1)
    open_ticket(kit.console, "h2", category="harassment", caller_number="13900001111",
                hours_ago=-0.5)
    assert svc.is_blacklisted("13900001111", now=NOW + timedelta(hours=1))
    actions = [a.action for a in kit.console.store.audit_log() if a.action.startswith("black")]
    assert actions == ["blacklist.lift", "blacklist.lift", "blacklist.add"]


def test_only_admins_see_the_blacklist(kit):
    assert kit.sign_in("ann").get("/admin/blacklist").status_code == 403
    assert kit.sign_in("max").get("/admin/blacklist").status_code == 403
