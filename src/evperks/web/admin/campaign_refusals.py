"""Campaign refusals in the console's words: each service code → the msgid shown (``admin_campaigns.po``),
filled with the refusal's params. The console never reads the service's English to decide what to show,
so rewording a service message cannot un-translate a page.

A code mapped to ``AS_WORDED`` has no console translation yet: the service's own message is shown, as it
always was. Every ``campaign.*`` code the services raise has an entry (a unit test scans for them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from evperks.services.errors import Reason, ServiceError
from evperks.services.texts import N_
from evperks.web import refusals
from evperks.web.i18n import translations

AS_WORDED = None
_ASCENDING = {"min_amount_fen": N_("tiers must be sorted ascending by min_amount_fen, each one distinct"),
              "threshold": N_("tiers must be sorted ascending by threshold, each one distinct")}

MSGIDS: dict[str, str | Callable[[Mapping[str, object]], str | None] | None] = {
    # What publishing checks (domain.campaign_rules, the type modules, the publish use case).
    "campaign.required": N_("is required"),
    "campaign.end_before_start": N_("must be after start_at"),
    "campaign.end_not_future": N_("must be in the future"),
    "campaign.at_least_one": N_("must be at least 1"),
    "campaign.max_rewards_at_least_one": N_("must be at least 1"),
    "campaign.first_charge_kwh_positive": N_("must be greater than 0"),
    "campaign.first_charge_paid_positive": N_("must be greater than 0"),
    "campaign.not_positive": N_("must be greater than 0"),
    "campaign.reward_empty": N_("needs at least one voucher template"),
    "campaign.quantity_out_of_range": N_("must be 1 to 100"),
    "campaign.template_repeated": N_("appears twice; raise its quantity instead"),
    "campaign.tiers_empty": N_("needs at least one tier"),
    "campaign.tiers_not_ascending": lambda params: _ASCENDING.get(str(params.get("key"))),
    "campaign.metric_required": N_("is required: energy or amount"),
    "campaign.issue_at_outside": N_("must lie inside [start_at, end_at)"),
    "campaign.members_required": N_("bind at least one member first"),
    "campaign.template_missing": N_("Voucher template %(id)s does not exist"),
    "campaign.template_disabled": N_("Voucher template %(id)s is disabled"),
    "campaign.template_window_closed": N_("Voucher template %(id)s stops being valid before it could be issued"),
    "campaign.tiers_not_allowed": AS_WORDED,
    "campaign.reward_from_tiers": AS_WORDED,
    "campaign.only_consumption": AS_WORDED,
    "campaign.only_one_time": AS_WORDED,
    "campaign.only_referral": AS_WORDED,
    "campaign.not_publishable": N_("The campaign cannot be published yet: see the fields marked below."),
    # Changing a draft: the values as stored.
    "campaign.type_required": AS_WORDED,
    "campaign.send_again": AS_WORDED,
    "campaign.tier_key_wrong": AS_WORDED,
    "campaign.reminder_needs_type": AS_WORDED,
    "campaign.metric_first": N_("set metric (energy or amount) first: it says whether this is kWh or fen"),
    "campaign.kwh_invalid": AS_WORDED,
    "campaign.fen_not_whole": AS_WORDED,
    # Changing a published campaign.
    "campaign.change_refused": AS_WORDED,
    "campaign.ended_unchangeable": N_("the campaign has ended and can no longer change"),
    "campaign.fixed_once_published": N_("cannot change once published (only rules_text, a later end_at and a "
                                        "larger total_packages can)"),
    "campaign.end_only_later": N_("can only move later once published"),
    "campaign.total_only_grows": N_("can only grow once published"),
    "campaign.changed_meanwhile": N_("the campaign changed meanwhile; read it again"),
    # Its state and its members (the pages say these in their own words; here for any other caller).
    "campaign.not_found": AS_WORDED,
    "campaign.not_a_draft": AS_WORDED,
    "campaign.not_live": AS_WORDED,
    "campaign.members_unused": AS_WORDED,
    "campaign.members_closed": AS_WORDED,
    "campaign.grant_started": AS_WORDED,
    "campaign.unknown_members": AS_WORDED,
    "campaign.delete_not_draft": AS_WORDED,
    # What publishing warns about without refusing (domain.campaign_warnings).
    "campaign.never_pays": N_("Campaign %(id)s (%(name)s) is older, admits every member and runs the whole time: "
                              "this campaign pays no referral reward unless %(id)s is stopped or runs out of packages."),
    "campaign.pays_after": N_("Campaign %(id)s (%(name)s) is older: while both run it pays first, and this campaign "
                              "only pays inviters it does not admit."),
    "campaign.outranks": N_("Campaign %(id)s (%(name)s) is newer: while both run this campaign pays first, and %(id)s "
                            "only pays inviters this one does not admit."),
    "campaign.packages_short": N_("%(bound)s members are bound but there are only %(packages)s packages: the last "
                                  "%(shortfall)s members bound will get nothing."),
}


def warning_messages(warnings, locale: str) -> list[str]:
    """What publishing warns about (``{code, message, params}`` each), in the reader's language."""
    gettext = translations(locale).gettext
    return [_translated(w["code"], w["params"], w["message"], gettext) for w in warnings]


def refusal_messages(exc: ServiceError, locale: str, rename: Mapping[str, str]) -> dict[str, str]:
    """Field (renamed to the form's input) → translated message; a refusal naming no field under ``""``."""
    gettext = translations(locale).gettext
    reasons = [(e.field, e.code, e.message, e.params) for e in exc.errors] or [("", exc.code, exc.detail, exc.params)]
    found: dict[str, str] = {}
    for field, code, message, params in reasons:
        found.setdefault(rename.get(field, field), _translated(code, params, message, gettext))
    return found


def _translated(code: str | None, params: Mapping[str, object], message: str, gettext) -> str:
    if code not in MSGIDS:  # a form's or a voucher template's code: the console's general table
        return refusals.say(Reason("", code, message, params), gettext)
    entry = MSGIDS[code]
    msgid = entry(params) if callable(entry) else entry
    if msgid is None:
        return message  # no console translation yet: as the service words it
    return gettext(msgid) % dict(params) if "%(" in msgid else gettext(msgid)
