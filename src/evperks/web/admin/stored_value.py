"""储值管理: the minimum recharge (最低充值金额), the fixed denominations (固定面额), whether members may
type their own amount, and the charge-session rules (启动充电最低余额, hold_hours). Everyone signed in reads the page; only admins save it."""

from __future__ import annotations

import re

from starlette.datastructures import FormData

from evperks.domain.wallet import MAX_DENOMINATIONS
from evperks.services.errors import Invalid
from evperks.services.wallet import settings as wallet_settings
from evperks.web import forms
from evperks.web.admin.settings_page import SettingsPage

FORM_NAMES = {"min_recharge_fen": "min_recharge", "denominations_fen": "denominations",
              "min_start_balance_fen": "min_start_balance", "hold_hours": "hold_hours"}
SEPARATORS = re.compile(r"[\s,，、;；]+")


def values_of(current: dict) -> dict:
    return {
        "min_recharge": forms.for_display(current["min_recharge_fen"]),
        "denominations": ", ".join(_plain_yuan(fen) for fen in current["denominations_fen"]),
        "allow_custom_amount": current["allow_custom_amount"],
        "min_start_balance": forms.for_display(current["min_start_balance_fen"]),
        "hold_hours": str(current["hold_hours"]),
    }


def typed(form: FormData) -> dict:
    return {"min_recharge": form.get("min_recharge", ""), "denominations": form.get("denominations", ""),
            "allow_custom_amount": "allow_custom_amount" in form,
            "min_start_balance": form.get("min_start_balance", ""), "hold_hours": form.get("hold_hours", "")}


def rules_from(form: FormData) -> dict:
    """``put_settings``'s arguments; denominations are yuan separated by commas or spaces."""
    fields = forms.Fields()
    min_recharge = fields.take(forms.yuan_to_fen, form.get("min_recharge"), "min_recharge", positive=True)
    if min_recharge is None and "min_recharge" not in fields.reasons:
        fields.refuse("min_recharge", "form.required", "Required")
    denominations = fields.take(_denominations, form.get("denominations"))
    min_start = fields.take(forms.yuan_to_fen, form.get("min_start_balance"), "min_start_balance")
    # Any whole number: the range (1–720) is the service's, so the form says what the API says.
    hold_hours = fields.take(forms.whole_number, form.get("hold_hours"), "hold_hours", minimum=-forms.MAX_INT)
    if hold_hours is None and "hold_hours" not in fields.reasons:
        fields.refuse("hold_hours", "form.required", "Required")
    fields.check()
    return {"min_recharge_fen": min_recharge, "denominations_fen": denominations,
            "allow_custom_amount": "allow_custom_amount" in form, "min_start_balance_fen": min_start or 0,
            "hold_hours": hold_hours}


def _denominations(value: str | None) -> list[int]:
    words = [w for w in SEPARATORS.split(value or "") if w]
    if len(words) > MAX_DENOMINATIONS:
        raise Invalid("at most %(max)s denominations", field="denominations", code="wallet.too_many_denominations",
                      max=MAX_DENOMINATIONS)  # the service's words
    return [forms.yuan_to_fen(word, "denominations", positive=True) for word in words]


def _plain_yuan(fen: int) -> str:
    """50 for 5000 fen, 12.5 for 1250: how an operator types a denomination."""
    whole, cents = divmod(fen, 100)
    return str(whole) if cents == 0 else f"{whole}.{cents:02d}".rstrip("0")


# --- the page -------------------------------------------------------------------------------------

SETTINGS = SettingsPage(
    path="/admin/stored-value", template="admin/stored_value/settings.html", nav="stored_value",
    saved="Stored-value settings saved.", get=wallet_settings.get_settings, put=wallet_settings.put_settings,
    values_of=values_of, typed=typed, parse=rules_from,
    form_names=lambda _form: FORM_NAMES,
)
router = SETTINGS.router()
