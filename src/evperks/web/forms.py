"""Turning what people type into console forms into the values services take.

Each parser reads one field and raises ``Invalid(message, field=name)``; the messages are English msgids
that the catalogs translate. ``Fields`` runs several parsers and gathers every refusal, so a form shows
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
from evperks.services.errors import Invalid, ServiceError
from evperks.services.member_search import MemberFilter
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
        raise Invalid("Required", field=field)
    if len(cleaned) > max_length:
        raise Invalid("Too long", field=field)
    if _NUL in cleaned:
        raise Invalid("Contains a character that is not allowed", field=field)
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
        raise Invalid("Enter an amount in yuan, e.g. 12.50", field=field)
    if amount < 0:
        raise Invalid("May not be negative", field=field)
    try:
        fen = scaled_exactly(amount, 2, MAX_FEN)
    except TooLarge as exc:
        raise Invalid("Too large", field=field) from exc
    except TooPrecise as exc:
        raise Invalid("At most 2 decimals (fen)", field=field) from exc
    if positive and fen == 0:
        raise Invalid("Must be greater than 0", field=field)
    return fen


def kwh(value: str | None, field: str) -> int | None:
    """kWh with at most 3 decimals → exact Wh; blank → None."""
    if _blank(value):
        return None
    try:
        return kwh_to_wh(value)
    except InvalidEnergy as exc:
        raise Invalid(_ENERGY_MESSAGES.get(str(exc), "Enter a number of kWh"), field=field) from exc


_ENERGY_MESSAGES = {
    "may not be negative": "May not be negative",
    "has at most 3 decimals": "At most 3 decimals",
    "may not exceed 1000000 kWh": "Too large",
}


def whole_number(value: str | None, field: str, *, minimum: int = 0, maximum: int = MAX_INT) -> int | None:
    """A whole number in [minimum, maximum]; blank → None."""
    if _blank(value):
        return None
    cleaned = value.strip()
    if not _WHOLE.fullmatch(cleaned):
        raise Invalid("Enter a whole number", field=field)
    number = int(cleaned)
    if number < minimum:
        raise Invalid("Must be greater than 0" if minimum == 1 else "May not be negative", field=field)
    if number > maximum:
        raise Invalid("Too large", field=field)
    return number


def positive_int(value: str | None, field: str, *, maximum: int = MAX_INT) -> int:
    """A required whole number ≥ 1."""
    number = whole_number(value, field, minimum=1, maximum=maximum)
    if number is None:
        raise Invalid("Required", field=field)
    return number


def local_datetime(value: str | None, field: str, zone: ZoneInfo) -> datetime | None:
    """An ``<input type="datetime-local">`` value (the operator's wall time) → a UTC instant; blank → None."""
    if _blank(value):
        return None
    try:
        wall = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise Invalid("Enter a date and time", field=field) from exc
    if wall.tzinfo is not None or not supported(wall):  # 1970-2199, as the API
        raise Invalid("Enter a date and time", field=field)
    return as_utc(wall, zone)


def local_day(value: str | None, field: str) -> date | None:
    """An ``<input type="date">`` value; blank → None."""
    if _blank(value):
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError as exc:
        raise Invalid("Enter a date", field=field) from exc
    if not EARLIEST.date() <= day < LATEST.date():  # 1970-2199, as the API; the day after is still in range
        raise Invalid("Enter a date", field=field)
    return day


def choice(value: str | None, field: str, options: tuple[str, ...], *, required: bool = True) -> str | None:
    """One of ``options``; blank is None when not required."""
    if _blank(value) and not required:
        return None
    if value not in options:
        raise Invalid("Choose one of the options", field=field)
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
        self.errors: dict[str, str] = {}

    def take(self, parse: Callable[..., T], *args, **kwargs) -> T | None:
        try:
            return parse(*args, **kwargs)
        except Invalid as exc:
            for field, message in [(e.field, e.message) for e in exc.errors]:
                self.errors.setdefault(field, message)
            return None

    def refuse(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def check(self) -> None:
        """Raise one Invalid naming every field refused so far."""
        if self.errors:
            raise Invalid.fields(list(self.errors.items()))


# --- member search (会员属性查找) -------------------------------------------------------------------

MEMBER_SEARCH_FIELDS = ("phone", "registered_from", "registered_to", "tag", "min_charge_count", "min_total_kwh",
                        "min_total_paid", "invited")


def member_search(params: Mapping[str, str], zone: ZoneInfo) -> MemberFilter:
    """The console's member search form (dates are local days, both inclusive; money in yuan)."""
    fields = Fields()
    phone = fields.take(text, params.get("phone"), "phone", max_length=11)
    if phone and not (phone.isdigit() and phone.isascii()):
        fields.refuse("phone", "Digits only")
    day_from = fields.take(local_day, params.get("registered_from"), "registered_from")
    day_to = fields.take(local_day, params.get("registered_to"), "registered_to")
    if day_from and day_to and day_to < day_from:
        fields.refuse("registered_to", "Must not be before the start")
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
    """Field → translated message, with service field names mapped to the form's (``face_value_fen`` →
    ``face_value``); an error naming no field is kept under ``""`` for the top of the form."""
    gettext = translations(locale).gettext
    rename = rename or {}
    found: dict[str, str] = {}
    for field, message in [(e.field, e.message) for e in exc.errors] or [("", exc.detail)]:
        found.setdefault(rename.get(field, field), gettext(message))
    return found
