"""Helpers shared by the ticket tests (a uniquely named module: importable from any test)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PG_SCRIPT = REPO / "scripts" / "test-postgres"
TEST_KEY = "test-number-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unreachable_pg_url() -> str:
    """A PostgreSQL URL where nothing listens: every connection is refused at once."""
    return f"postgresql+psycopg://nobody:nothing@127.0.0.1:{free_port()}/none"


def pg_control(action: str) -> None:
    """Pause / resume the shared test server (outage tests)."""
    subprocess.run([str(PG_SCRIPT), action], check=True, capture_output=True, timeout=60)
