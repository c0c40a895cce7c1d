"""Every setting the admin bench can edit has a Chinese and an English label and description
(and the seed rule where it comes from the service standard), defined once in
ivr/config/labels.py: a new setting without a label fails here instead of showing up on the form
as a bare key."""

from __future__ import annotations

import html
import re
from pathlib import Path

from ivr.config import load_settings
from ivr.config.labels import LABELS, SECTIONS, SEEDS
from ivr.console import settings_edit as se

REPO = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _editable_keys() -> list[str]:
    return [f.name for f in se.form_fields(load_settings(str(REPO / "config" / "ivr.toml")))]


def test_every_editable_key_has_a_label_and_a_description_in_both_languages():
    keys = _editable_keys()
    missing = [k for k in keys if k not in LABELS]
    assert not missing, f"settings without a label in ivr/config/labels.py: {missing}"
    for key in keys:
        lb = LABELS[key]
        assert CJK.search(lb.zh) and CJK.search(lb.help_zh), f"{key}: no Chinese label/help"
        assert lb.en.strip() and lb.help_en.strip(), f"{key}: no English label/help"
        assert not CJK.search(lb.en), f"{key}: the English label is not English: {lb.en}"
    assert set(LABELS) <= set(keys), f"labels of no editable key: {set(LABELS) - set(keys)}"
    assert set(se.EDITABLE_SECTIONS) <= set(SECTIONS)


def test_seed_citations_name_a_known_seed_document():
    for key, lb in LABELS.items():
        for part in filter(None, (p.strip() for p in lb.seed.split("/"))):
            assert part[:3] in SEEDS and part[3:4] == " " and part[4:], f"{key}: {lb.seed!r}"
    seeds_dir = REPO.parent / "shared" / "seeds"
    if seeds_dir.is_dir():  # the seeds are beside the repository on a development machine
        assert {name for name, _ in SEEDS.values()} <= {p.name for p in seeds_dir.iterdir()}


def test_the_form_shows_labels_descriptions_and_citations_in_the_chosen_language(kit):
    client = kit.sign_in("ada")
    page = html.unescape(client.get("/admin/settings").text)
    lb = LABELS["silent_call.after_greeting_s"]
    row = page.split('id="row-silent_call.after_greeting_s"', 1)[1].split("</tr>", 1)[0]
    assert lb.zh in row and lb.help_zh in row and "000 第十六条 3" in row
    assert SEEDS["000"][0] in row
    assert page.count('class="label"') == len(_editable_keys())
    client.get("/lang?to=en-US&next=/admin/settings")
    page = html.unescape(client.get("/admin/settings").text)
    row = page.split('id="row-silent_call.after_greeting_s"', 1)[1].split("</tr>", 1)[0]
    assert lb.en in row and lb.help_en in row
