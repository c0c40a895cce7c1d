"""Login throttling lives in the database: two console apps on one database (as `ivr console`
beside `ivr serve --workers N`'s admin ports) count the same failures, per name and per client
address, 5 in 15 minutes; the window slides on the console's clock."""

from __future__ import annotations

from datetime import timedelta

from consolekit import PASSWORDS, csrf_of


def attempt(client, name: str, password: str) -> int:
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf": token, "username": name,
                                         "password": password}, follow_redirects=False)
    return int(answer.status_code)


def second_app(kit):
    """Another console process's app: its own TicketService and throttle, the same database."""
    from ivr.console.app import build_console, create_app

    other = build_console(kit.console.settings, str(kit.console.tickets.engine.url),
                          clock=kit.clock)
    return other, create_app(other)


def test_two_apps_on_one_database_share_the_failures(kit):
    from starlette.testclient import TestClient

    other, app_b = second_app(kit)
    try:
        a = kit.client()
        b = TestClient(app_b, base_url="http://127.0.0.1")
        assert [attempt(a, "ann", "wrong") for _ in range(3)] == [401] * 3
        assert [attempt(b, "ann", "wrong") for _ in range(2)] == [401] * 2
        # Five failures between the two: the right password now waits, on either app.
        assert attempt(a, "ann", PASSWORDS["ann"]) == 429
        assert attempt(b, "ann", PASSWORDS["ann"]) == 429
        # The window slides: 15 minutes after the failures the right password works again.
        kit.clock.now += timedelta(minutes=15, seconds=1)
        assert attempt(b, "ann", PASSWORDS["ann"]) == 303
    finally:
        other.tickets.shutdown()


def test_one_address_trying_many_names_is_throttled_across_apps(kit):
    from starlette.testclient import TestClient

    other, app_b = second_app(kit)
    try:
        a = kit.client()
        b = TestClient(app_b, base_url="http://127.0.0.1")
        for i, client in enumerate([a, b, a, b, a]):
            assert attempt(client, f"guess{i}", "wrong") == 401
        # Same client address ("testclient"), a name never tried: refused by the address key.
        assert attempt(b, "max", PASSWORDS["max"]) == 429
        assert attempt(a, "max", PASSWORDS["max"]) == 429
    finally:
        other.tickets.shutdown()


def test_success_clears_the_names_count_and_old_rows_are_forgotten(kit):
    store = kit.console.store
    throttle = kit.console.throttle
    for _ in range(4):
        throttle.failed("ann", "10.0.0.1")
    assert throttle.retry_after_s("ann", "10.0.0.2") == 0.0
    throttle.failed("ann", "10.0.0.2")
    wait = throttle.retry_after_s("ann", "10.0.0.3")
    assert 899.0 <= wait <= 900.0
    throttle.succeeded("ann")
    assert throttle.retry_after_s("ann", "10.0.0.3") == 0.0
    # The address keys stay until they age out; a failure 15 min later deletes them.
    assert len(store.login_failures(["c:10.0.0.1"], kit.clock() - timedelta(hours=1))
               ["c:10.0.0.1"]) == 4
    kit.clock.now += timedelta(minutes=16)
    throttle.failed("someone", "10.0.0.9")
    old = store.login_failures(["c:10.0.0.1", "c:10.0.0.9"], kit.clock() - timedelta(days=1))
    assert old == {"c:10.0.0.1": [], "c:10.0.0.9": [kit.clock()]}
