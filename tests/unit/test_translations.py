"""Chinese is the console's and the H5's default language: every text the templates and web code mark
for translation has a zh_CN translation, and the catalogs load."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from evperks.services.campaigns import types as campaign_types
from evperks.web import i18n

WEB = Path(i18n.__file__).parent
# Campaign types name themselves for the pages (label, hints): their msgids are the web's too.
CAMPAIGN_TYPES = Path(campaign_types.__file__).parent
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}


def marked_texts() -> dict[str, str]:
    """Every msgid in the web package and the campaign types, with where it was first seen."""
    found: dict[str, str] = {}
    for folder in (WEB, CAMPAIGN_TYPES):
        for filename, line, message, _comments, _context in extract_from_dir(
            folder, method_map=METHODS, options_map={"**/templates/**.html": JINJA_OPTIONS}
        ):
            msgid = message if isinstance(message, str) else message[0]
            found.setdefault(msgid, f"{folder.name}/{filename}:{line}")
    return found


def translations_by_catalog() -> dict[str, dict[str, str]]:
    """msgid → {catalog file: Chinese}."""
    found: dict[str, dict[str, str]] = {}
    for po in sorted((i18n.TRANSLATIONS_DIR / "zh_CN" / "LC_MESSAGES").glob("*.po")):
        for message in i18n.load_catalog(po, "zh_CN"):
            if message.id and message.string:
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                found.setdefault(msgid, {})[po.name] = message.string
    return found


def chinese() -> dict[str, str]:
    return {msgid: next(iter(texts.values())) for msgid, texts in translations_by_catalog().items()}


def test_the_catalogs_never_translate_one_text_two_ways():
    """They are merged into one translation, so a second meaning needs its own msgid."""
    clashes = {msgid: texts for msgid, texts in translations_by_catalog().items() if len(set(texts.values())) > 1}
    assert clashes == {}


def test_every_marked_text_has_a_chinese_translation():
    translated = chinese()
    missing = {msgid: where for msgid, where in marked_texts().items() if msgid not in translated}
    assert missing == {}, f"{len(missing)} texts lack a zh_CN translation: {missing}"


def test_placeholders_survive_translation():
    def placeholders(text: str) -> list[str]:
        return sorted(re.findall(r"%\([a-z_]+\)[sd]|%[sd]", text))

    wrong = {msgid: msgstr for msgid, msgstr in chinese().items() if placeholders(msgid) != placeholders(msgstr)}
    assert wrong == {}


def test_the_default_locale_is_chinese_and_english_is_the_msgids():
    assert i18n.DEFAULT_LOCALE == "zh_CN"
    assert i18n.translations("zh_CN").gettext("Home") == "首页"
    assert i18n.translations("en").gettext("Home") == "Home"
