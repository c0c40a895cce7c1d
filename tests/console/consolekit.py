"""Helpers: a console on a real SQLite ticket database with one user per role, driven in-process by
Starlette's TestClient (no server, no browser): fast enough for every security rule."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PASSWORDS = {"ann": "agent-pass-123", "max": "manager-pass-123", "ada": "admin-pass-123"}
ROLES = {"ann": "agent", "max": "manager", "ada": "admin"}
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=timezone.utc)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class ConsoleKit:
    console: Any
    app: Any
    clock: FakeClock
    tmp: Path

    def client(self) -> Any:
        from starlette.testclient import TestClient

        return TestClient(self.app, base_url="http://127.0.0.1")

    def sign_in(self, name: str, client: Any = None) -> Any:
        client = client or self.client()
        page = client.get("/login")
        token = csrf_of(page.text)
        response = client.post(
            "/login",
            data={"csrf": token, "username": name, "password": PASSWORDS[name], "next": "/"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def make_kit(tmp_path: Path) -> Iterator[ConsoleKit]:
    from ivr.config import load_settings
    from ivr.console.app import build_console, create_app
    from ivr.console.auth import hash_password

    # Copies of the config and the prompts (the admin bench edits them) and an empty audio/
    # beside them (uploaded overrides land there): never the repository's files.
    config = tmp_path / "config" / "ivr.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config" / "ivr.toml", config)
    (tmp_path / "audio").mkdir(exist_ok=True)
    shutil.copytree(REPO / "prompts", tmp_path / "prompts")
    settings = load_settings(str(config), overrides={"paths": {"data_dir": str(tmp_path / "data")}})
    assert settings.prompts_dir == tmp_path / "prompts" and settings.audio_dir == tmp_path / "audio"
    clock = FakeClock(NOW)
    # The caller-number key (blacklist matching, reveal) only while the service reads it: the
    # environment of other tests stays as it was.
    env = settings.privacy.number_key_env
    old_key = os.environ.get(env)
    os.environ[env] = "console-test-number-key-0123456789"
    try:
        console = build_console(settings, f"sqlite:///{tmp_path}/tickets.db", clock=clock)
    finally:
        if old_key is None:
            os.environ.pop(env, None)
        else:
            os.environ[env] = old_key
    for name, role in ROLES.items():
        console.store.add_user(
            name, role, hash_password(PASSWORDS[name]), NOW,
            department="default" if role == "agent" else None,
        )
    try:
        yield ConsoleKit(console, create_app(console), clock, tmp_path)
    finally:
        console.tickets.shutdown()


def open_ticket(console: Any, call_id: str, *, hours_ago: float = 1.0, **fields: Any) -> Any:
    from ivr.tickets import TicketDraft

    draft = TicketDraft(
        call_id=call_id,
        category=fields.pop("category", "complaint"),
        opened_at=NOW - timedelta(hours=hours_ago),
        **fields,
    )
    return console.tickets.open_ticket(draft)


def settings_form(kit: ConsoleKit, **changes: str) -> dict[str, str]:
    """The admin settings form as the page fills it (checkboxes on only when true), with
    ``changes`` on top."""
    from ivr.console import settings_edit

    values: dict[str, str] = {}
    for field in settings_edit.form_fields(kit.console.settings):
        if field.kind == "bool":
            if field.value:
                values[field.name] = "on"
        else:
            values[field.name] = str(field.value)
    values.update(changes)
    return values
