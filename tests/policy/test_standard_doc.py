"""docs/standard.md cannot drift: every cell of its table is checked against the code.

Modules exist; phrase ids are in BOTH catalogues; config keys are in the settings schema; the
tests and example scripts named exist; every rule module and every phrase that quotes a seed
appears in the table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr.config import Settings
from ivr.config.dialogue import IntentKeywords

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "standard.md"
HELPERS = {"__init__.py", "conversation.py"}  # shared helpers, not rules of the seeds


def rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- standard-table -->")[1].split("<!-- /standard-table -->")[0]
    out = []
    for line in table.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 5, line
        out.append(cells)
    return out


def items(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def config_key_exists(key: str) -> bool:
    parts = key.split(".")
    if parts[0] == "intents":
        return len(parts) == 2 and parts[1] in IntentKeywords.model_fields
    if parts[0] in ("advice", "complaint_classes", "commitments") and parts[0] in (
            Settings.model_fields):
        return len(parts) == 1 or parts[0] == "commitments"
    model: object = Settings
    for part in parts:
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return False
        model = fields[part].annotation
    return True


def test_the_table_has_rows():
    assert len(rows()) >= 30


@pytest.mark.parametrize("row", rows(), ids=lambda r: r[0][:40])
def test_every_cell_matches_the_code(row, settings):
    _seed, module, phrases, keys, tests = row
    for path in items(module):
        assert (ROOT / path).is_file(), path
    for pid in items(phrases):
        for locale in ("zh-CN", "en-US"):
            assert pid in settings.prompts[locale], f"{pid} missing from {locale}"
    for key in items(keys):
        assert config_key_exists(key), f"config key {key} not in the schema"
    assert items(tests), "a rule without a test"
    for ref in items(tests):
        file, _, func = ref.partition("::")
        assert (ROOT / file).is_file(), file
        if func:
            assert re.search(rf"^def {re.escape(func)}\(", (ROOT / file).read_text(
                encoding="utf-8"), re.M), ref


def test_every_rule_module_is_in_the_table():
    listed = {Path(p).name for r in rows() for p in items(r[1])}
    modules = {p.name for p in (ROOT / "ivr/policy/rules").glob("*.py")} - HELPERS
    assert modules - listed == set()


def test_every_seed_phrase_is_in_the_table(settings):
    listed = {pid for r in rows() for pid in items(r[2])}
    seeded = {pid for pid, p in settings.prompts["zh-CN"].items() if p.seed}
    assert seeded - listed == set()
