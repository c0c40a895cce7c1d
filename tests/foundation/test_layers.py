"""DESIGN.md's layering, checked on the source: only ivr/sip imports pjsua2, only ivr/tickets
imports SQLAlchemy (a console or any other package goes through ivr.tickets), and the pure
modules of ivr/media read no clock and start no thread or process (media time is counted in
frames). tests/policy/test_imports.py holds the same line for ivr/policy."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import ivr

IVR_DIR = Path(ivr.__file__).resolve().parent
# The media modules that do signal work only; the recogniser, renderer, prompt library and
# model installer sit beside them and may run threads and processes.
PURE_MEDIA = (
    "analysis", "frames", "g711", "levels", "monitor", "resample", "segmenter", "translator",
    "vad", "wavio",
)  # fmt: skip
IMPURE_MODULES = ("time", "threading", "subprocess", "socket", "asyncio", "multiprocessing")
WALL_CLOCK_CALLS = {
    ("time", "time"),
    ("time", "sleep"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
    ("datetime", "now"),
    ("datetime", "today"),
    ("datetime", "utcnow"),
    ("date", "today"),
}
# What a pure media module may import from the project: other pure media modules, the settings
# schema and the shared vocabulary (the layer below), and the policy's event types (the
# contract the translator speaks).
PURE_MEDIA_PROJECT_IMPORTS = (
    *(f"ivr.media.{name}" for name in PURE_MEDIA),
    "ivr.config",
    "ivr.vocabulary",
    "ivr.policy.events",
)


def _imports(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """Every module a file imports: statements, and importlib.import_module("literal")."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from ivr.media import frames` imports the module ivr.media.frames
            submodules = [a.name for a in node.names if _is_module(f"{node.module}.{a.name}")]
            if submodules:
                for sub in submodules:
                    yield f"{node.module}.{sub}", node
            else:
                yield node.module, node
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node


def _is_module(dotted: str) -> bool:
    if not dotted.startswith("ivr."):
        return False
    path = IVR_DIR.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _sources(under: Path = IVR_DIR) -> list[tuple[Path, ast.AST]]:
    files = sorted(under.rglob("*.py"))
    assert files, under
    return [(f, ast.parse(f.read_text(encoding="utf-8"))) for f in files]


def _is(name: str, module: str) -> bool:
    return name == module or name.startswith(module + ".")


def _importers(module: str) -> set[str]:
    return {
        str(path.relative_to(IVR_DIR.parent))
        for path, tree in _sources()
        for name, _ in _imports(tree)
        if _is(name, module)
    }


def test_only_ivr_sip_imports_pjsua2():
    importers = _importers("pjsua2")
    assert importers, "the walk found no pjsua2 import at all"
    assert {p for p in importers if not p.startswith("ivr/sip/")} == set()


def test_only_ivr_tickets_imports_sqlalchemy():
    for module in ("sqlalchemy", "alembic", "psycopg"):
        outside = {p for p in _importers(module) if not p.startswith("ivr/tickets/")}
        assert outside == set(), f"{module} imported outside ivr/tickets: {sorted(outside)}"
    assert _importers("sqlalchemy"), "the walk found no sqlalchemy import at all"


def test_pure_media_modules_read_no_clock_and_start_no_thread():
    media = IVR_DIR / "media"
    assert {p.stem for p in media.glob("*.py")} >= set(PURE_MEDIA)
    for name in PURE_MEDIA:
        path = media / f"{name}.py"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for imported, _ in _imports(tree):
            assert not any(_is(imported, m) for m in IMPURE_MODULES), f"{name}: {imported}"
            if imported.startswith("ivr"):
                assert imported in PURE_MEDIA_PROJECT_IMPORTS, f"{name}: imports {imported}"
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(
                node.value, (ast.Name, ast.Attribute)
            ):
                owner = node.value.id if isinstance(node.value, ast.Name) else node.value.attr
                assert (owner, node.attr) not in WALL_CLOCK_CALLS, f"{name}: {owner}.{node.attr}"


# What each lower layer may import from the project besides itself (DESIGN.md: cli ->
# {session, console, scale} -> {policy, media, sip, tickets} -> {config, vocabulary}).
# ivr.masking and ivr.text are pure helpers every layer may use.
BOTTOM = ("ivr.vocabulary", "ivr.masking", "ivr.text")
ALLOWED_IMPORTS = {
    "config": BOTTOM,
    "policy": (*BOTTOM, "ivr.config"),
    "media": (*BOTTOM, "ivr.config", "ivr.policy.events"),
    "sip": (*BOTTOM, "ivr.config"),
    "tickets": (*BOTTOM, "ivr.config"),
}
# The one upward look-up, lazy and inside a function: the catalogue check asks the policy which
# phrases its rules play (ivr/config/prompts.py, required_prompt_ids).
LAZY_EXCEPTIONS = {("config", "prompts.py", "ivr.policy.catalogue")}


def test_lower_layers_never_import_upwards():
    for layer, allowed in ALLOWED_IMPORTS.items():
        for path, tree in _sources(IVR_DIR / layer):
            for name, _ in _imports(tree):
                if not name.startswith("ivr.") or _is(name, f"ivr.{layer}"):
                    continue
                if (layer, path.name, name) in LAZY_EXCEPTIONS:
                    continue
                assert any(_is(name, a) for a in allowed), f"ivr/{layer}/{path.name}: {name}"
