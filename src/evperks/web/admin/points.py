"""积分管理: earning, redemption (积分抵现, 使用数量限制) and the expiry rule (积分清零规则) with its
pending change. Everyone signed in reads the page; only admins save it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from starlette.datastructures import FormData

from evperks.domain.points import MAX_POINTS, MAX_RATE
from evperks.domain.points_expiry import InvalidRule, rule_from_dict
from evperks.services import admin_views
from evperks.services.errors import Invalid
from evperks.services.points import settings as points_settings
from evperks.web import forms
from evperks.web.admin.settings_page import SettingsPage

RULES = ("never", "yearly", "monthly", "per_grant")
# The inputs of each expiry rule: form name → the rule's field.
RULE_INPUTS = {
    "never": {},
    "yearly": {"yearly_years": "years", "yearly_month": "month", "yearly_day": "day"},
    "monthly": {"monthly_months": "months", "monthly_day": "day"},
    "per_grant": {"per_grant_years": "years"},
}
TEXT_INPUTS = ("per_yuan_paid", "per_kwh", "points_per_yuan", "base", "min_points", "max_points", "max_share_percent",
               "expiry_rule", "reminder_days", *(name for inputs in RULE_INPUTS.values() for name in inputs))


# --- the form ↔ the settings ------------------------------------------------------------------------

def values_of(current: dict) -> dict:
    """What the form shows for saved settings; the rule offered is the pending one when there is one."""
    earning, redemption = current["earning"], current["redemption"]
    rule = current["pending_expiry"] or current["expiry"]
    values = {
        "per_yuan_paid": str(earning["per_yuan_paid"]),
        "per_kwh": str(earning["per_kwh"]),
        "redemption_enabled": redemption["enabled"],
        "points_per_yuan": str(redemption["points_per_yuan"]),
        "base": redemption["base"],
        "station_ids": list(redemption["station_ids"]),
        "min_points": str(redemption["min_points"]),
        "max_points": "" if redemption["max_points"] is None else str(redemption["max_points"]),
        "max_share_percent": str(redemption["max_share_percent"]),
        "combine_with_voucher": redemption["combine_with_voucher"],
        "expiry_rule": rule["rule"],
        "reminder_days": str(current["reminder_days"]),
    }
    for name, key in RULE_INPUTS[rule["rule"]].items():
        values[name] = str(rule[key])
    return values


def typed(form: FormData) -> dict:
    """What the user typed, to show again beside the refusals."""
    values = {name: form.get(name, "") for name in TEXT_INPUTS}
    values["redemption_enabled"] = "redemption_enabled" in form
    values["combine_with_voucher"] = "combine_with_voucher" in form
    values["station_ids"] = form.getlist("station_ids")
    return values


def settings_from(form: FormData) -> dict:
    """The sections ``put_settings`` takes; every refused field named at once (form names)."""
    fields = forms.Fields()
    earning = {"per_yuan_paid": fields.take(rate, form.get("per_yuan_paid"), "per_yuan_paid"),
               "per_kwh": fields.take(rate, form.get("per_kwh"), "per_kwh")}
    max_points = fields.take(forms.whole_number, form.get("max_points"), "max_points", minimum=1, maximum=MAX_POINTS)
    redemption = {
        "enabled": "redemption_enabled" in form,
        "points_per_yuan": fields.take(_required_number, form.get("points_per_yuan"), "points_per_yuan", 1, 1_000_000),
        "base": fields.take(forms.choice, form.get("base"), "base", ("total", "service_fee")),
        "station_ids": sorted({s for s in form.getlist("station_ids") if isinstance(s, str) and s}),
        "min_points": fields.take(forms.whole_number, form.get("min_points"), "min_points", maximum=MAX_POINTS) or 0,
        "max_points": max_points,
        "max_share_percent": fields.take(_required_number, form.get("max_share_percent"), "max_share_percent", 1, 100),
        "combine_with_voucher": "combine_with_voucher" in form,
    }
    expiry = fields.take(_expiry, form)
    reminder_days = fields.take(_required_number, form.get("reminder_days"), "reminder_days", 0, 365)
    fields.check()
    return {"earning": earning, "redemption": redemption, "expiry": expiry, "reminder_days": reminder_days}


def rate(value: str | None, field: str) -> Decimal:
    """Points per unit: 0 to 100000 with at most 4 decimals (as the API); blank means 0."""
    if value is None or not value.strip():
        return Decimal(0)
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise Invalid("Enter a number, e.g. 1 or 0.5", field=field, code="form.not_a_number")
    if number < 0:
        raise Invalid("May not be negative", field=field, code="form.negative")
    if number > MAX_RATE:
        raise Invalid("Too large", field=field, code="form.too_large")
    if number != number.quantize(Decimal("0.0001")):
        raise Invalid("At most 4 decimals", field=field, code="form.too_precise_rate")
    return number


def _required_number(value: str | None, field: str, minimum: int, maximum: int) -> int:
    """A whole number in [minimum, maximum]; out of range says the range, not just "too large"."""
    number = forms.whole_number(value, field, minimum=-forms.MAX_INT)
    if number is None:
        raise Invalid("Required", field=field, code="form.required")
    if not minimum <= number <= maximum:
        raise Invalid("Enter a whole number from %(low)s to %(high)s", field=field, code="form.out_of_range",
                      low=minimum, high=maximum)
    return number


def _expiry(form: FormData) -> dict:
    """The chosen rule with its inputs (the inputs of the other rules are ignored), checked by the domain's
    rule so the page says what is wrong (2月没有30日) beside the input at fault."""
    rule = forms.choice(form.get("expiry_rule"), "expiry_rule", RULES)
    fields = forms.Fields()
    expiry: dict = {"rule": rule}
    for name, key in RULE_INPUTS[rule].items():
        expiry[key] = fields.take(_required_number, form.get(name), name, -forms.MAX_INT, forms.MAX_INT)
    fields.check()
    try:
        rule_from_dict(expiry)
    except InvalidRule as exc:
        form_name = {key: name for name, key in RULE_INPUTS[rule].items()}[exc.field]
        raise Invalid(exc.reason.message, field=form_name, code=exc.reason.code, **exc.reason.params) from exc
    return expiry


def _form_names(form: FormData) -> dict[str, str]:
    """The service's field names (``redemption.max_points``, ``expiry.day``) → the form's."""
    names = {f"redemption.{name}": name for name in ("max_points", "min_points", "station_ids", "points_per_yuan")}
    names["expiry.rule"] = "expiry_rule"
    for name, key in RULE_INPUTS.get(form.get("expiry_rule") or "", {}).items():
        names[f"expiry.{key}"] = name
    return names


# --- the page -------------------------------------------------------------------------------------

SETTINGS = SettingsPage(
    path="/admin/points", template="admin/points/settings.html", nav="points", saved="Points settings saved.",
    get=points_settings.get_settings, put=points_settings.put_settings, values_of=values_of,
    typed=typed, parse=settings_from,
    form_names=_form_names,
    extra=lambda ctx: {"stations": admin_views.station_choices(ctx)},
)
router = SETTINGS.router()
