"""When granted points expire (积分清零规则): four rules, every expiry at 00:00 in the operator's zone.

Pure functions: an expiry depends only on the rule and the *local date* of the grant, so a rule can
be applied to a whole day's (month's, year's) grants at once. Instants go in and come out as UTC.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, fields
from datetime import date, datetime
from zoneinfo import ZoneInfo

from evperks.domain.reasons import Reason
from evperks.domain.timecal import local_date, start_of_local_day

MAX_YEARS = 100
MAX_MONTHS = 1200


@dataclass(frozen=True)
class Never:
    """不清零: points never expire."""


@dataclass(frozen=True)
class Yearly:
    """Points granted in year Y expire at ``month``-``day`` of year Y + ``years``, 00:00."""

    years: int
    month: int
    day: int


@dataclass(frozen=True)
class Monthly:
    """Points granted in month m expire on ``day`` of month m + ``months`` (past its end: its last day)."""

    months: int
    day: int


@dataclass(frozen=True)
class PerGrant:
    """Each grant expires ``years`` after its grant date, 00:00 (Feb 29 → Feb 28)."""

    years: int


Rule = Never | Yearly | Monthly | PerGrant


class InvalidRule(ValueError):
    def __init__(self, field: str, code: str, message: str, **params: object) -> None:
        self.reason = Reason.of(field, code, message, **params)
        super().__init__(f"{field}: {self.reason.message}")
        self.field = field
        self.message = self.reason.message


def _clamped(year: int, month: int, day: int) -> date:
    """``day`` of the month, or the month's last day when it has fewer days."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def expiry_date(rule: Rule, granted_on: date) -> date | None:
    """The local date at whose 00:00 points granted on ``granted_on`` expire (None: never)."""
    match rule:
        case Never():
            return None
        case Yearly(years, month, day):
            return _clamped(granted_on.year + years, month, day)
        case Monthly(months, day):
            index = granted_on.year * 12 + (granted_on.month - 1) + months
            return _clamped(index // 12, index % 12 + 1, day)
        case PerGrant(years):
            return _clamped(granted_on.year + years, granted_on.month, granted_on.day)
    raise TypeError(f"not an expiry rule: {rule!r}")


def expires_at(rule: Rule, granted_at: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant a grant made at ``granted_at`` expires under ``rule`` (None: never)."""
    day = expiry_date(rule, local_date(granted_at, zone))
    return None if day is None else start_of_local_day(day, zone)


def validate(rule: Rule) -> Rule:
    """The rule itself, or InvalidRule naming the field (as ``expiry.<field>``) and saying what is wrong with
    it in a code of its own: a count of years or months out of range, a month that does not exist, a day
    the month does not have (2月没有30日)."""
    match rule:
        case Never():
            pass
        case Yearly(years, month, day):
            _check_count("years", years, MAX_YEARS, "points.expiry_years_range", "years")
            _check_whole("month", month)
            if not 1 <= month <= 12:
                raise InvalidRule("month", "points.expiry_month_unknown", "there is no month %(month)s: enter 1 to 12",
                                  month=month)
            _check_whole("day", day)
            # The longest the month can be: Feb 29 is allowed and means Feb 28 in common years.
            if not 1 <= day <= calendar.monthrange(2000, month)[1]:
                raise InvalidRule("day", "points.expiry_day_not_in_month", "month %(month)s has no day %(day)s",
                                  month=month, day=day)
        case Monthly(months, day):
            _check_count("months", months, MAX_MONTHS, "points.expiry_months_range", "months")
            _check_whole("day", day)
            if not 1 <= day <= 31:
                raise InvalidRule("day", "points.expiry_day_unknown", "no month has a day %(day)s: enter 1 to 31",
                                  day=day)
        case PerGrant(years):
            _check_count("years", years, MAX_YEARS, "points.expiry_years_range", "years")
        case _:
            raise TypeError(f"not an expiry rule: {rule!r}")
    return rule


def _check_whole(field: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRule(field, "points.expiry_not_whole", "must be a whole number")


def _check_count(field: str, value: object, high: int, code: str, unit: str) -> None:
    _check_whole(field, value)
    if not 1 <= value <= high:
        raise InvalidRule(field, code, f"must be from 1 to %(high)s {unit}", high=high)


def rule_from_dict(data: dict) -> Rule:
    """The stored/API form ``{"rule": "yearly", "years": 1, "month": 2, "day": 1}`` as a rule."""
    kind = data.get("rule")
    given = {k: v for k, v in data.items() if k != "rule" and v is not None}
    classes = {"never": Never, "yearly": Yearly, "monthly": Monthly, "per_grant": PerGrant}
    if kind not in classes:
        raise InvalidRule("rule", "points.expiry_rule_unknown", "must be one of never, yearly, monthly, per_grant")
    names = [f.name for f in fields(classes[kind])]
    for name in names:
        if name not in given:
            raise InvalidRule(name, "points.expiry_field_missing", "is required for rule %(rule)s", rule=kind)
    for name in given:
        if name not in names:
            raise InvalidRule(name, "points.expiry_field_unknown", "is not a field of rule %(rule)s", rule=kind)
    return validate(classes[kind](**given))


def rule_to_dict(rule: Rule) -> dict:
    match rule:
        case Never():
            return {"rule": "never"}
        case Yearly(years, month, day):
            return {"rule": "yearly", "years": years, "month": month, "day": day}
        case Monthly(months, day):
            return {"rule": "monthly", "months": months, "day": day}
        case PerGrant(years):
            return {"rule": "per_grant", "years": years}
    raise TypeError(f"not an expiry rule: {rule!r}")
