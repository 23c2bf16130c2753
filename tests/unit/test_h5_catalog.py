"""The H5's Chinese catalog: every text of its templates is translated, and nothing it shares with the
console's catalogs is translated differently (h5.po is merged last, so it would win)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file
from jinja2.ext import babel_extract

from evperks.web.i18n import TRANSLATIONS_DIR, load_catalog

TEMPLATES = Path(__file__).parents[2] / "src/evperks/web/templates/h5"
CATALOGS = TRANSLATIONS_DIR / "zh_CN" / "LC_MESSAGES"


def test_every_text_of_the_h5_templates_has_a_chinese_translation_in_h5_po():
    h5 = load_catalog(CATALOGS / "h5.po", "zh_CN")
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    used = {msg for template in TEMPLATES.glob("*.html")
            for _, msg, _, _ in extract_from_file(babel_extract, str(template), options=options)}
    assert len(used) > 100
    assert sorted(m for m in used if not (h5.get(m) and h5.get(m).string)) == []


def test_no_msgid_of_h5_po_is_translated_differently_by_another_catalog():
    h5 = load_catalog(CATALOGS / "h5.po", "zh_CN")
    clashes = []
    for po in sorted(CATALOGS.glob("*.po")):
        if po.name == "h5.po":
            continue
        for message in load_catalog(po, "zh_CN"):
            mine = h5.get(message.id) if message.id else None
            if mine is not None and mine.string != message.string:
                clashes.append((po.name, message.id, message.string, mine.string))
    assert clashes == []
