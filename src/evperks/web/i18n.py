"""UI text through Babel catalogs: msgids are English, ``zh_CN`` (the default) translates them.

The ``.po`` files under ``translations/<locale>/LC_MESSAGES/`` are the source of truth and are compiled
in memory when the process starts, so there is no build step and no binary ``.mo`` in the repository.
Each face keeps its own catalog (``admin.po``, ``h5.po``); they are merged into one translation per
locale. English is the msgids themselves.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.requests import Request
from starlette.responses import Response

TRANSLATIONS_DIR = Path(__file__).with_name("translations")
DEFAULT_LOCALE = "zh_CN"
# What ``?lang=`` accepts, mapped to a locale.
LANG_PARAM = {"zh": "zh_CN", "zh_CN": "zh_CN", "zh-CN": "zh_CN", "en": "en"}
LANG_COOKIE = "evperks_lang"


def load_catalog(path: Path, locale: str):
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


@cache
def translations(locale: str) -> NullTranslations:
    """The merged catalogs of ``locale`` (identity for English or a locale without catalogs)."""
    folder = TRANSLATIONS_DIR / locale / "LC_MESSAGES"
    merged: Translations | None = None
    for po in sorted(folder.glob("*.po")):
        buffer = BytesIO()
        write_mo(buffer, load_catalog(po, locale))
        buffer.seek(0)
        loaded = Translations(fp=buffer)
        if merged is None:
            merged = loaded
        else:
            merged.merge(loaded)
    return merged or NullTranslations()


def locale_from(value: str | None) -> str | None:
    return LANG_PARAM.get(value or "")


def locale_of(request: Request) -> str:
    return locale_from(request.query_params.get("lang")) or locale_from(request.cookies.get(LANG_COOKIE)) or DEFAULT_LOCALE


def remember_lang(request: Request, response: Response) -> None:
    chosen = locale_from(request.query_params.get("lang"))
    if chosen:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, httponly=True, samesite="lax",
                            secure=request.app.state.ctx.settings.secure_cookies)
