"""How an audit row reads for people: each stored key named in the console's language, money in yuan,
instants in the operator's zone, yes/no and coded values in words. The stored row keeps the raw JSON."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from evperks.domain.units import wh_to_kwh_str
from evperks.services.campaigns.types import CAMPAIGN_TYPES
from evperks.services.texts import N_
from evperks.web.forms import for_display

# A key's last part → its label; a nested key reads "section · field".
LABELS = {
    "id": N_("Id"), "name": N_("Name"), "face_value_fen": N_("Face value (¥)"), "deduction_type": N_("Deduction type"),
    "station_ids": N_("Applicable stations"), "validity": N_("Validity type"), "min_spend_fen": N_("Minimum spend (¥)"),
    "enabled": N_("Enabled"), "issued_count": N_("Issued"), "used_count": N_("Used"), "created_at": N_("Created at"),
    "updated_at": N_("Updated at"), "type": N_("Type"), "days": N_("Days"), "start": N_("Start time"),
    "end": N_("End time"), "status": N_("Status"), "ended_reason": N_("Ended because"), "start_at": N_("Start time"),
    "end_at": N_("End time"), "issue_at": N_("Issue time"), "rules_text": N_("Campaign rules"),
    "total_packages": N_("Total packages"), "packages_given": N_("Packages given"), "packages_left": N_("Packages left"),
    "reward": N_("Reward package"), "tiers": N_("Tiers"), "metric": N_("Metric"),
    "progress_reminder": N_("Progress reminder"), "countdown_days": N_("Countdown days"),
    "published_at": N_("Published at"), "ended_at": N_("Ended at"), "phone": N_("Phone"), "nickname": N_("Nickname"),
    "tags": N_("Tags"), "tag": N_("Tag"), "wechat_openid": N_("WeChat openid"), "reason": N_("Reason"),
    "points": N_("Points"), "balance": N_("Points balance after"), "city": N_("City"),
    "template_id": N_("Template id"), "voucher_ids": N_("Voucher ids"), "member_ids": N_("Members"),
    "bound": N_("Newly bound"), "unbound": N_("Unbound"), "total": N_("Bound in all"), "all": N_("Every bound member"),
    "filter": N_("Member search"), "registered_from": N_("Registered from"), "registered_to": N_("Registered to"),
    "min_charge_count": N_("Charge count at least"), "min_total_wh": N_("Total kWh at least"),
    "min_total_paid_fen": N_("Total paid at least (¥)"), "invited": N_("Invited by someone"),
    "earning": N_("Earning"), "per_yuan_paid": N_("Points per yuan paid"), "per_kwh": N_("Points per kWh"),
    "redemption": N_("Redemption for cash"), "points_per_yuan": N_("Points per yuan"), "base": N_("Redeemable part"),
    "min_points": N_("Minimum points per order"), "max_points": N_("Maximum points per order"),
    "max_share_percent": N_("Maximum share of the order (%)"), "combine_with_voucher": N_("Combines with a voucher"),
    "expiry": N_("Expiry rule"), "pending_expiry": N_("Pending expiry rule"), "rule": N_("Rule"), "years": N_("Years"),
    "months": N_("Months"), "month": N_("Month"), "day": N_("Day"), "pending_effective_at": N_("Takes effect at"),
    "reminder_days": N_("Reminder days ahead"), "min_recharge_fen": N_("Minimum recharge (¥)"),
    "denominations_fen": N_("Denominations (¥)"), "allow_custom_amount": N_("Custom amount allowed"),
    "quantity": N_("Quantity"), "min_amount_fen": N_("Recharge at least (¥)"), "threshold": N_("Threshold"),
    "bonus_fen": N_("Bonus (¥)"), "points_price": N_("Points price"), "stock": N_("Stock"),
    "stock_left": N_("Stock left"), "per_member_limit": N_("Limit per member"), "exchanges": N_("Exchanges"),
}
# Coded values in words, by key.
WORDS = {
    "deduction_type": {"total": N_("Total spend"), "service_fee": N_("Service fee")},
    "base": {"total": N_("Total spend"), "service_fee": N_("Service fee")},
    "status": {"draft": N_("Draft"), "scheduled": N_("Not started"), "active": N_("In progress"), "ended": N_("Ended"),
               "revoked": N_("Revoked")},
    "ended_reason": {"expired": N_("Time is up"), "exhausted": N_("All packages given"), "stopped": N_("Stopped by staff")},
    "metric": {"energy": N_("Energy charged (kWh)"), "amount": N_("Amount paid (¥)")},
}
_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


def label(key: str, gettext) -> str:
    """``redemption.max_points`` → "积分抵现 · 单笔最多使用积分"; a key without a label stays as it is."""
    return " · ".join(gettext(LABELS[part]) if part in LABELS else part for part in key.split("."))


def shown(key: str, value: object, zone: ZoneInfo, gettext) -> str:
    """One stored value as people read it."""
    last = key.rsplit(".", 1)[-1]
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if last.endswith("_fen") and isinstance(value, int):
        return "¥" + for_display(value)
    if last.endswith("_fen") and isinstance(value, list) and all(isinstance(v, int) for v in value):
        return "、".join("¥" + for_display(v) for v in value)
    if last.endswith("_wh") and isinstance(value, int):
        return wh_to_kwh_str(value) + " kWh"
    if isinstance(value, str) and _INSTANT.match(value):
        try:
            return datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    if last == "type" and isinstance(value, str) and value in CAMPAIGN_TYPES:
        return gettext(CAMPAIGN_TYPES[value].LABEL)
    if isinstance(value, str) and value in WORDS.get(last, {}):
        return gettext(WORDS[last][value])
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return "、".join(str(v) for v in value) if value else "—"
    if isinstance(value, dict | list):
        return _nested(value, zone, gettext)
    return str(value)


def _nested(value: dict | list, zone: ZoneInfo, gettext) -> str:
    """A tier list or a reward package: each item's keys labelled, values shown like the top level's."""
    if isinstance(value, list):
        return "；".join(_nested(v, zone, gettext) if isinstance(v, dict | list) else str(v) for v in value) or "—"
    return "，".join(f"{label(k, gettext)}：{shown(k, v, zone, gettext)}" for k, v in value.items()) or "—"


def raw(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
