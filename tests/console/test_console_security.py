"""The console's security rules, route by route, against a real SQLite database."""

from __future__ import annotations

import re

from consolekit import NOW, PASSWORDS, csrf_of, open_ticket
from starlette.routing import Route

OPEN_PATHS = {"/health", "/metrics", "/login", "/lang"}


def _routes(app):
    """(method, path with sample parameters) of every route the app declares."""
    out = []
    for route in app.routes:
        if not isinstance(route, Route):
            continue
        path = re.sub(r"\{(\w+)\}", "x1234567", route.path)
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                out.append((method, path))
    return out


def test_every_page_redirects_to_sign_in_without_a_session(kit):
    client = kit.client()
    checked = 0
    for method, path in _routes(kit.app):
        if path in OPEN_PATHS:
            continue
        response = client.request(method, path, follow_redirects=False)
        if path == "/events":
            assert response.status_code == 401, path
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login?next="), path
        checked += 1
    assert checked >= 12
    assert client.get("/health").status_code == 200
    assert "ivr_console_up 1" in client.get("/metrics").text


def test_a_form_without_the_csrf_token_is_refused(kit):
    ticket = open_ticket(kit.console, "call-csrf")
    client = kit.sign_in("ann")
    for data in ({"action": "resolve"}, {"action": "resolve", "csrf": "forged"}):
        response = client.post(f"/tickets/{ticket.short_id}/act", data=data)
        assert response.status_code == 403
    assert kit.console.tickets.get(ticket.short_id).status == "new"
    assert client.post("/logout", data={}).status_code == 403
    # The login form itself needs its double-submit token.
    fresh = kit.client()
    response = fresh.post("/login", data={"username": "ann", "password": PASSWORDS["ann"]})
    assert response.status_code == 403


def test_an_agent_cannot_reach_admin_or_report_pages(kit):
    client = kit.sign_in("ann")
    admin_paths = [p for m, p in _routes(kit.app) if p.startswith("/admin") and m == "GET"]
    assert len(admin_paths) >= 3
    for path in [*admin_paths, "/report", "/report.csv"]:
        assert client.get(path).status_code == 403, path
    manager = kit.sign_in("max")
    assert manager.get("/report").status_code == 200
    assert manager.get("/admin").status_code == 403
    admin = kit.sign_in("ada")
    assert admin.get("/admin/audit").status_code == 200


def test_session_cookie_is_httponly_strict_and_only_a_hash_is_stored(kit):
    client = kit.client()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "username": "ann", "password": PASSWORDS["ann"]},
        follow_redirects=False,
    )
    cookies = response.headers.get_list("set-cookie")
    cookie = next(c for c in cookies if c.startswith("ivr_console="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    token = cookie.split("=", 1)[1].split(";", 1)[0]
    db = (kit.tmp / "tickets.db").read_bytes() + (kit.tmp / "tickets.db-wal").read_bytes()
    assert token.encode() not in db
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


def test_wrong_passwords_are_throttled_and_then_even_the_right_one_waits(kit):
    client = kit.client()
    for _ in range(5):
        page = client.get("/login")
        bad = client.post(
            "/login", data={"csrf": csrf_of(page.text), "username": "ann", "password": "nope"}
        )
        assert bad.status_code == 401
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "username": "ann", "password": PASSWORDS["ann"]},
    )
    assert response.status_code == 429
    assert "ivr_console=" not in response.headers.get("set-cookie", "")


def test_sign_in_does_not_redirect_off_site(kit):
    client = kit.client()
    page = client.get("/login?next=//evil.example/x")
    response = client.post(
        "/login",
        data={
            "csrf": csrf_of(page.text),
            "username": "ann",
            "password": PASSWORDS["ann"],
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/desk"


def test_recording_url_is_unguessable_and_needs_a_session(kit):
    wav = kit.tmp / "rec.wav"
    wav.write_bytes(b"RIFF" + bytes(4000))
    ticket = open_ticket(kit.console, "call-rec", recording_path=str(wav))
    client = kit.sign_in("ann")
    page = client.get(f"/tickets/{ticket.short_id}").text
    url = re.search(r'src="(/recordings/[^"]+)"', page).group(1)
    _, _, ticket_id, expires, signature = url.split("/")
    assert ticket_id == ticket.ticket_id and len(signature) == 64
    # The id alone, or a signature for another id or another expiry, opens nothing.
    other = open_ticket(kit.console, "call-other", recording_path=str(wav))
    assert client.get(f"/recordings/{other.ticket_id}/{expires}/{signature}").status_code == 404
    assert client.get(f"/recordings/{ticket_id}/{expires}/{'0' * 64}").status_code == 404
    later = int(expires) + 86400
    assert client.get(f"/recordings/{ticket_id}/{later}/{signature}").status_code == 404
    # The right URL without a session goes to sign-in; with one it streams, with ranges.
    assert kit.client().get(url, follow_redirects=False).status_code == 303
    whole = client.get(url)
    assert whole.status_code == 200 and whole.content == wav.read_bytes()
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == wav.read_bytes()[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{wav.stat().st_size}"


def test_recording_url_expires_after_an_hour_even_with_a_session(kit):
    from datetime import timedelta

    wav = kit.tmp / "rec.wav"
    wav.write_bytes(b"RIFF" + bytes(4000))
    ticket = open_ticket(kit.console, "call-exp", recording_path=str(wav))
    client = kit.sign_in("ann")
    page = client.get(f"/tickets/{ticket.short_id}").text
    url = re.search(r'src="(/recordings/[^"]+)"', page).group(1)
    assert int(url.split("/")[3]) == int(kit.clock().timestamp()) + 3600
    kit.clock.now += timedelta(minutes=59)
    assert client.get(url).status_code == 200
    kit.clock.now += timedelta(minutes=1)
    expired = client.get(url)
    assert expired.status_code == 403 and "expired" in expired.text
    assert client.get("/desk").status_code == 200  # the session itself is still good
    # The ticket page hands out a fresh URL that works.
    fresh = re.search(r'src="(/recordings/[^"]+)"',
                      client.get(f"/tickets/{ticket.short_id}").text).group(1)
    assert fresh != url and client.get(fresh).status_code == 200


def test_sessions_expire(kit):
    from datetime import timedelta

    client = kit.sign_in("ann")
    assert client.get("/desk", follow_redirects=False).status_code == 200
    kit.clock.now = NOW + timedelta(hours=13)
    assert client.get("/desk", follow_redirects=False).status_code == 303
