"""The console translates campaign refusals by their code, never by their English wording."""

from __future__ import annotations

import re
from pathlib import Path

import evperks
from evperks.services.errors import Invalid, NotFound, Reason
from evperks.web.admin.campaign_refusals import MSGIDS, refusal_messages

SRC = Path(evperks.__file__).parent
CODE = re.compile(r"""["'](campaign\.[a-z_]+)["']""")


def _raised_codes() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        if path.name == "campaign_refusals.py":
            continue
        for code in CODE.findall(path.read_text(encoding="utf-8")):
            found.setdefault(code, str(path.relative_to(SRC)))
    return found


def test_every_campaign_code_the_services_raise_has_an_entry_in_the_console_table():
    raised = _raised_codes()
    assert raised, "no campaign codes found: the scan is looking in the wrong place"
    assert {code: where for code, where in raised.items() if code not in MSGIDS} == {}


def test_a_refusal_naming_a_template_is_translated_with_its_id():
    refused = Invalid.fields([Reason.of("reward.0.template_id", "campaign.template_disabled",
                                        "voucher template %(id)s is disabled", id=12)])
    assert refusal_messages(refused, "zh_CN", {}) == {"reward.0.template_id": "代金券 12 已停用"}


def test_the_console_follows_the_code_even_when_the_english_is_reworded():
    refused = Invalid.fields([Reason.of("tiers.1.min_amount_fen", "campaign.tiers_not_ascending", "reworded",
                                        key="min_amount_fen")])
    assert refusal_messages(refused, "zh_CN", {"tiers.1.min_amount_fen": "tiers.1.amount"}) == {
        "tiers.1.amount": "各档须按金额从小到大排列且互不相同"}


def test_a_refusal_without_a_translation_is_shown_as_the_service_words_it():
    refused = NotFound("campaign %(id)s does not exist", code="campaign.not_found", id=9)
    assert refusal_messages(refused, "zh_CN", {}) == {"": "campaign 9 does not exist"}
