"""Turning what people type into console forms into the values services take.

Each parser reads one field and raises ``Invalid(message, field=name, code=...)``; pages show the code
translated through ``web.refusals``, never the English message. ``Fields`` runs several parsers and gathers every refusal, so a form shows
all its mistakes at once. Money is exact (Decimal yuan → integer fen), never float.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TypeVar
from zoneinfo import ZoneInfo

from evperks.domain.timecal import EARLIEST, LATEST, as_utc, start_of_local_day, supported
from evperks.domain.units import MAX_FEN, InvalidEnergy, TooLarge, TooPrecise, kwh_to_wh, scaled_exactly
from evperks.domain.wallet import yuan
from evperks.services.errors import Invalid, Reason, ServiceError
from evperks.services.member_search import MemberFilter
from evperks.web import refusals
from evperks.web.i18n import translations

MAX_INT = 10**9
_NUL = "\x00"
_WHOLE = re.compile(r"-?[0-9]{1,18}")

T = TypeVar("T")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: str | None, field: str, *, required: bool = False, max_length: int = 100) -> str:
    """Trimmed free text; NUL is refused (PostgreSQL text cannot hold it)."""
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise Invalid("Required", field=field, code="form.required")
    if len(cleaned) > max_length:
        raise Invalid("Too long", field=field, code="form.too_long", max=max_length)
    if _NUL in cleaned:
        raise Invalid("Contains a character that is not allowed", field=field, code="form.character_not_allowed")
    return cleaned


def yuan_to_fen(value: str | None, field: str, *, positive: bool = False) -> int | None:
    """Yuan with at most 2 decimals ("12.5", "12.50", "12") → fen; blank → None."""
    if _blank(value):
        return None
    try:
        amount = Decimal(value.strip().replace(",", ""))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise Invalid("Enter an amount in yuan, e.g. 12.50", field=field, code="form.not_yuan")
    if amount < 0:
        raise Invalid("May not be negative", field=field, code="form.negative")
    try:
        fen = scaled_exactly(amount, 2, MAX_FEN)
    except TooLarge as exc:
        raise Invalid("Too large", field=field, code="form.too_large") from exc
    except TooPrecise as exc:
        raise Invalid("At most 2 decimals (fen)", field=field, code="form.too_precise_yuan") from exc
    if positive and fen == 0:
        raise Invalid("Must be greater than 0", field=field, code="form.not_positive")
    return fen


def kwh(value: str | None, field: str) -> int | None:
    """kWh with at most 3 decimals → exact Wh; blank → None."""
    if _blank(value):
        return None
    try:
        return kwh_to_wh(value)
    except InvalidEnergy as exc:
        code, message = _ENERGY_REFUSALS[exc.code]
        raise Invalid(message, field=field, code=code) from exc


# The domain's energy refusals (by code) as a form says them: the form's own words, not the API's.
_ENERGY_REFUSALS = {
    "energy.not_a_number": ("form.not_kwh", "Enter a number of kWh"),
    "energy.negative": ("form.negative", "May not be negative"),
    "energy.too_precise": ("form.too_precise_kwh", "At most 3 decimals"),
    "energy.too_large": ("form.too_large", "Too large"),
}


def whole_number(value: str | None, field: str, *, minimum: int = 0, maximum: int = MAX_INT) -> int | None:
    """A whole number in [minimum, maximum]; blank → None."""
    if _blank(value):
        return None
    cleaned = value.strip()
    if not _WHOLE.fullmatch(cleaned):
        raise Invalid("Enter a whole number", field=field, code="form.not_whole")
    number = int(cleaned)
    if number < minimum and minimum == 1:
        raise Invalid("Must be greater than 0", field=field, code="form.not_positive")
    if number < minimum:
        raise Invalid("May not be negative", field=field, code="form.negative")
    if number > maximum:
        raise Invalid("Too large", field=field, code="form.too_large")
    return number


def positive_int(value: str | None, field: str, *, maximum: int = MAX_INT) -> int:
    """A required whole number ≥ 1."""
    number = whole_number(value, field, minimum=1, maximum=maximum)
    if number is None:
        raise Invalid("Required", field=field, code="form.required")
    return number


def local_datetime(value: str | None, field: str, zone: ZoneInfo) -> datetime | None:
    """An ``<input type="datetime-local">`` value (the operator's wall time) → a UTC instant; blank → None."""
    if _blank(value):
        return None
    try:
        wall = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise Invalid("Enter a date and time", field=field, code="form.not_datetime") from exc
    if wall.tzinfo is not None or not supported(wall):  # 1970-2199, as the API
        raise Invalid("Enter a date and time", field=field, code="form.not_datetime")
    return as_utc(wall, zone)


def local_day(value: str | None, field: str) -> date | None:
    """An ``<input type="date">`` value; blank → None."""
    if _blank(value):
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError as exc:
        raise Invalid("Enter a date", field=field, code="form.not_date") from exc
    if not EARLIEST.date() <= day < LATEST.date():  # 1970-2199, as the API; the day after is still in range
        raise Invalid("Enter a date", field=field, code="form.not_date")
    return day


def choice(value: str | None, field: str, options: tuple[str, ...], *, required: bool = True) -> str | None:
    """One of ``options``; blank is None when not required."""
    if _blank(value) and not required:
        return None
    if value not in options:
        raise Invalid("Choose one of the options", field=field, code="form.not_an_option")
    return value


def yes_no(value: str | None, field: str) -> bool | None:
    """"yes"/"no" from a select; blank (any) → None."""
    picked = choice(value, field, ("yes", "no"), required=False)
    return None if picked is None else picked == "yes"


def for_display(fen: int | None) -> str:
    """Fen as the yuan a form field or a page shows ("12.50"); None → ""."""
    return "" if fen is None else yuan(fen)


def wall_time(instant: datetime | None, zone: ZoneInfo) -> str:
    """A UTC instant as a ``datetime-local`` value in the operator's zone."""
    return "" if instant is None else instant.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


class Fields:
    """Run parsers, keep every refusal: ``v = fields.take(parser, value, name, ...)`` then ``fields.check()``."""

    def __init__(self) -> None:
        self.reasons: dict[str, Reason] = {}  # the first refusal of each field

    def take(self, parse: Callable[..., T], *args, **kwargs) -> T | None:
        try:
            return parse(*args, **kwargs)
        except Invalid as exc:
            for reason in exc.errors:
                self.reasons.setdefault(reason.field, reason)
            return None

    def refuse(self, field: str, code: str, message: str, **params: object) -> None:
        self.reasons.setdefault(field, Reason.of(field, code, message, **params))

    def check(self) -> None:
        """Raise one Invalid naming every field refused so far."""
        if self.reasons:
            raise Invalid.fields(list(self.reasons.values()), code="form.invalid")


# --- member search (会员属性查找) -------------------------------------------------------------------

MEMBER_SEARCH_FIELDS = ("phone", "registered_from", "registered_to", "tag", "min_charge_count", "min_total_kwh",
                        "min_total_paid", "invited")


def member_search(params: Mapping[str, str], zone: ZoneInfo) -> MemberFilter:
    """The console's member search form (dates are local days, both inclusive; money in yuan)."""
    fields = Fields()
    phone = fields.take(text, params.get("phone"), "phone", max_length=11)
    if phone and not (phone.isdigit() and phone.isascii()):
        fields.refuse("phone", "form.digits_only", "Digits only")
    day_from = fields.take(local_day, params.get("registered_from"), "registered_from")
    day_to = fields.take(local_day, params.get("registered_to"), "registered_to")
    if day_from and day_to and day_to < day_from:
        fields.refuse("registered_to", "form.end_before_start", "Must not be before the start")
    flt = MemberFilter(
        phone=phone or None,
        registered_from=start_of_local_day(day_from, zone) if day_from else None,
        registered_to=start_of_local_day(day_to + timedelta(days=1), zone) if day_to else None,
        tag=fields.take(text, params.get("tag"), "tag", max_length=50) or None,
        min_charge_count=fields.take(whole_number, params.get("min_charge_count"), "min_charge_count"),
        min_total_wh=fields.take(kwh, params.get("min_total_kwh"), "min_total_kwh"),
        min_total_paid_fen=fields.take(yuan_to_fen, params.get("min_total_paid"), "min_total_paid"),
        invited=fields.take(yes_no, params.get("invited"), "invited"),
    )
    fields.check()
    return flt


# --- showing refusals -----------------------------------------------------------------------------

def error_messages(exc: ServiceError, locale: str, rename: Mapping[str, str] | None = None) -> dict[str, str]:
    """Field → the refusal in the reader's language (by its code), with service field names mapped to the
    form's (``face_value_fen`` → ``face_value``); an error naming no field is kept under ``""`` for the top
    of the form."""
    gettext = translations(locale).gettext
    rename = rename or {}
    if not exc.errors:
        return {"": refusals.say_error(exc, gettext)}
    found: dict[str, str] = {}
    for reason in exc.errors:
        found.setdefault(rename.get(reason.field, reason.field), refusals.say(reason, gettext))
    return found
