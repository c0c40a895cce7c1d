"""Every closed set the register and the report use has a Chinese and an English label, and
every key the templates ask for exists in both tables (no raw 'end.xyz' on a manager's page)."""

from __future__ import annotations

import re
from pathlib import Path

from ivr import vocabulary
from ivr.console import i18n

TEMPLATES = Path(i18n.__file__).resolve().parent / "templates"


def test_every_vocabulary_value_has_both_labels():
    needed = (
        [f"end.{r}" for r in vocabulary.END_REASONS]
        + [f"cat.{c}" for c in vocabulary.CATEGORIES]
        + [f"sev.{s}" for s in vocabulary.SEVERITIES]
        + [f"st.{s}" for s in vocabulary.STATUSES]
        + [f"role.{r}" for r in ("agent", "manager", "admin")]
        + [f"verdict.{v}" for v in vocabulary.VERDICTS]
    )
    for table in (i18n.ZH, i18n.EN):
        missing = [k for k in needed if k not in table]
        assert missing == []


def test_every_literal_key_in_the_templates_exists_in_both_locales():
    keys = set()
    for path in TEMPLATES.glob("*.html"):
        keys |= set(re.findall(r't\("([a-z_.]*[a-z_])"', path.read_text(encoding="utf-8")))
    assert len(keys) > 40
    assert sorted(keys - set(i18n.ZH)) == []
    assert sorted(keys - set(i18n.EN)) == []
    assert set(i18n.ZH) == set(i18n.EN)
