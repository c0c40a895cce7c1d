"""DESIGN.md import rule: ivr/policy is pure (no telephony, audio, DB, numpy or wall clock);
of the project it imports only ivr.config and ivr.vocabulary."""

from __future__ import annotations

import ast
from pathlib import Path

import ivr.policy

POLICY_DIR = Path(ivr.policy.__file__).resolve().parent
FORBIDDEN_MODULES = (
    "pjsua2",
    "vosk",
    "webrtcvad",
    "sqlalchemy",
    "numpy",
    "pyttsx3",
    "time",
    "socket",
    "threading",
    "asyncio",
    "subprocess",
    "ivr.sip",
    "ivr.media",
    "ivr.tickets",
    "ivr.session",
)
FORBIDDEN_CALLS = {
    ("time", "time"),
    ("time", "sleep"),
    ("time", "monotonic"),
    ("datetime", "now"),
    ("datetime", "today"),
    ("datetime", "utcnow"),
    ("date", "today"),
}


def _sources():
    files = sorted(POLICY_DIR.rglob("*.py"))
    assert len(files) > 15
    return [(f, ast.parse(f.read_text(encoding="utf-8"))) for f in files]


def test_policy_imports_nothing_impure():
    for path, tree in _sources():
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                bad = [m for m in FORBIDDEN_MODULES if name == m or name.startswith(m + ".")]
                assert not bad, f"{path.name} imports {name}"
                if name.startswith("ivr"):
                    # ivr.text is a pure base module beside ivr.config and ivr.vocabulary.
                    allowed = name in ("ivr.config", "ivr.vocabulary", "ivr.text") or (
                        name.startswith("ivr.policy")
                    )
                    assert allowed, f"{path.name}: {name}"


def test_policy_never_reads_a_clock():
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(
                node.value, (ast.Name, ast.Attribute)
            ):
                owner = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
                assert (owner, node.attr) not in FORBIDDEN_CALLS, (
                    f"{path.name}: {owner}.{node.attr}"
                )


def test_text_module_is_pure():
    """ivr/text.py joins ivr.config and ivr.vocabulary as a base module: stdlib text only."""
    import ivr.text

    tree = ast.parse(Path(ivr.text.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "re", "unicodedata", "collections.abc"}, imported
