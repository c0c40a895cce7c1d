"""Layering: only ivr/tickets imports SQLAlchemy; the console imports neither SQLAlchemy nor
pjsua2 nor the SIP or session layers (it reads tickets and settings through their layers)."""

from __future__ import annotations

import ast
from pathlib import Path

import ivr

ROOT = Path(ivr.__file__).resolve().parent


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_only_the_ticket_layer_imports_sqlalchemy():
    offenders = [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.py")
        if "tickets" not in p.relative_to(ROOT).parts[:1]
        and any(n == "sqlalchemy" or n.startswith("sqlalchemy.") for n in _imports(p))
    ]
    assert offenders == []


def test_console_imports_no_telephony_or_database_driver():
    forbidden = ("sqlalchemy", "alembic", "pjsua2", "ivr.sip", "ivr.session", "ivr.agent")
    files = sorted((ROOT / "console").rglob("*.py"))
    assert len(files) >= 6
    for path in files:
        for name in _imports(path):
            assert not any(name == f or name.startswith(f + ".") for f in forbidden), (
                f"{path.name} imports {name}"
            )
