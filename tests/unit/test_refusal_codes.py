"""Refusal codes: every code the services, the domain and the web pages raise has an entry in a table the
pages translate it through (``web.refusals``, or ``web.admin.campaign_refusals`` for the campaigns'), and
pages translate the code, never the English message."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import evperks
from evperks.services.errors import Conflict, Invalid, Reason
from evperks.web import forms, refusals
from evperks.web.admin import campaign_refusals
from evperks.web.i18n import translations

SRC = Path(evperks.__file__).parent
# The API's own refusals (bad JSON, signatures, readiness aside) never reach a page.
NOT_SCANNED = ("api/",)
CODE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


def _constants(node: ast.AST) -> Iterator[ast.Constant]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.IfExp):
        yield from _constants(node.body)
        yield from _constants(node.orelse)


def _code_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Where a code is written: ``code=...``, the second argument of ``Reason(...)``, ``Reason.of(...)``,
    ``fields.refuse(...)`` and ``InvalidRule(...)``, and the values of a ``*_CODES`` or ``*_REFUSALS`` table."""
    if isinstance(node, ast.Call):
        yield from (kw.value for kw in node.keywords if kw.arg == "code")
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("Reason", "of", "refuse", "InvalidRule") and len(node.args) >= 2:
            yield node.args[1]
    if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and any(
            isinstance(t, ast.Name) and t.id.endswith(("_CODES", "_REFUSALS")) for t in node.targets):
        yield from (v.elts[0] if isinstance(v, ast.Tuple) else v for v in node.value.values)


def codes_in_source() -> dict[str, str]:
    """Every code written in the scanned source, with where it was first seen."""
    found: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        where = path.relative_to(SRC).as_posix()
        if where.startswith(NOT_SCANNED):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for written in _code_nodes(node):
                for constant in _constants(written):
                    found.setdefault(constant.value, f"{where}:{constant.lineno}")
    return found


def test_the_scan_finds_the_codes_of_services_domain_and_forms():
    found = codes_in_source()
    assert {"member.phone_registered", "voucher.already_used", "voucher.already_revoked", "wallet.amount_not_offered",
            "points.expiry_day_not_in_month", "form.not_kwh", "voucher.wrong_station"} <= set(found)


def test_every_code_raised_has_a_message_for_the_pages():
    known = {*refusals.MESSAGES, *campaign_refusals.MSGIDS}
    missing = {code: where for code, where in codes_in_source().items() if code not in known}
    assert missing == {}


def test_codes_are_lower_snake_words_dotted_by_area():
    assert [code for code in codes_in_source() if not CODE.fullmatch(code)] == []
    assert [code for code in refusals.MESSAGES if not CODE.fullmatch(code)] == []


def test_a_page_shows_the_code_in_chinese_however_the_english_is_worded():
    reworded = Invalid.fields([Reason("reason", "reason.required", "please say why"),
                               Reason.of("denominations_fen", "wallet.too_many_denominations",
                                         "no more than %(max)s tiles", max=20)])
    assert forms.error_messages(reworded, "zh_CN") == {"reason": "必须填写原因", "denominations_fen": "最多 20 个面额"}
    assert forms.error_messages(reworded, "en") == {"reason": "a reason is required",
                                                    "denominations_fen": "at most 20 denominations"}


def test_a_refusal_naming_no_field_is_shown_by_its_own_code():
    conflict = Conflict("the voucher is %(status)s and can no longer be revoked", code="voucher.already_used",
                        status="used")
    assert forms.error_messages(conflict, "zh_CN") == {"": "该代金券已使用，不能撤销"}


def test_params_fill_the_translated_message():
    expiry = Reason.of("expiry.day", "points.expiry_day_not_in_month", "month %(month)s has no day %(day)s",
                       month=2, day=30)
    assert refusals.say(expiry, translations("zh_CN").gettext) == "2月没有30日"
