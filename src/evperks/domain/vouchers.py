"""Voucher (代金券) rules: validity, usability on an order, deduction and the automatic choice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from evperks.domain.reasons import Reason
from evperks.domain.timecal import local_midnight_after
from evperks.domain.units import MAX_FEN


class DeductionType(StrEnum):
    TOTAL = "total"  # 消费总额: electricity fee + service fee
    SERVICE_FEE = "service_fee"  # 服务费 only


class VoucherKind(StrEnum):
    AMOUNT = "amount"  # 立减券: deducts its face value
    PERCENT = "percent"  # 折扣券: deducts a share of the base, optionally capped


class VoucherStatus(StrEnum):
    AVAILABLE = "available"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class DaysValidity:
    """Valid from issue until 00:00 of local day N+1, the issue day counting as day 1."""

    days: int


@dataclass(frozen=True)
class WindowValidity:
    """Valid in ``[start, end)``; cannot be issued at or after ``end``."""

    start: datetime
    end: datetime


Validity = DaysValidity | WindowValidity


MAX_VALIDITY_DAYS = 3650


def template_name_key(name: str) -> str:
    """What two template names are compared by: surrounding spaces and letter case do not tell them apart."""
    return name.strip().casefold()


# --- usage windows (可用时段) ---

@dataclass(frozen=True)
class HoursRange:
    """Local minutes of the day ``[start, end)``; ``end < start`` wraps midnight (23:00–07:00)."""

    start: int
    end: int

    def admits(self, minute: int) -> bool:
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


def parse_hhmm(text: object) -> int | None:
    """Minutes since midnight of a strict "HH:MM" (00:00–23:59), or None when it is not one."""
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":" or not (text[:2] + text[3:]).isdigit():
        return None
    hours, minutes = int(text[:2]), int(text[3:])
    return hours * 60 + minutes if hours < 24 and minutes < 60 else None


def hours_ranges(usable_hours: list[dict] | None) -> tuple[HoursRange, ...]:
    """The stored ``[{from, to}]`` (already validated) as ranges."""
    return tuple(HoursRange(parse_hhmm(h["from"]), parse_hhmm(h["to"])) for h in usable_hours or ())


MAX_HOURS_RANGES = 10


def window_problems(usable_hours: list[dict] | None, usable_weekdays: list[int] | None) -> list[Reason]:
    problems = []
    if usable_hours is not None and len(usable_hours) > MAX_HOURS_RANGES:
        problems.append(Reason.of("usable_hours", "voucher.hours_too_many", "at most %(max)s ranges",
                                  max=MAX_HOURS_RANGES))
    for i, hours in enumerate((usable_hours or [])[:MAX_HOURS_RANGES]):
        ends = [parse_hhmm(hours.get(end)) if isinstance(hours, dict) else None for end in ("from", "to")]
        for end, minute in zip(("from", "to"), ends, strict=True):
            if minute is None:
                problems.append(Reason.of(f"usable_hours.{i}.{end}", "voucher.hours_format", "must be a time HH:MM"))
        if None not in ends and ends[0] == ends[1]:
            problems.append(Reason.of(f"usable_hours.{i}.to", "voucher.hours_empty",
                                      "must differ from the start (a range may wrap midnight, as 23:00–07:00)"))
    weekdays = usable_weekdays or []
    if (any(isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7 for d in weekdays)
            or len(set(weekdays)) != len(weekdays)):
        problems.append(Reason.of("usable_weekdays", "voucher.weekdays_range",
                                  "must be distinct ISO weekdays from 1 (Monday) to 7 (Sunday)"))
    return problems


def template_problems(*, name: str, face_value_fen: int | None, validity: Validity, min_spend_fen: int,
                      kind: VoucherKind = VoucherKind.AMOUNT, percent_off: int | None = None,
                      max_deduction_fen: int | None = None, usable_hours: list[dict] | None = None,
                      usable_weekdays: list[int] | None = None) -> list[Reason]:
    """Every field of a voucher template that breaks the rules, by name (empty when it is sound).

    An amount voucher needs a face value and takes no percentage; a percent voucher needs ``percent_off``
    (a whole 1–99: every "X.Y折" is one) and takes no face value (its cap is ``max_deduction_fen``)."""
    problems = []
    if not name.strip() or len(name) > 100:
        problems.append(Reason.of("name", "voucher.name_length", "must be 1 to 100 characters"))
    if kind is VoucherKind.AMOUNT:
        if face_value_fen is None:
            problems.append(Reason.of("face_value_fen", "voucher.face_value_required", "is required for an amount voucher"))
        elif not 0 < face_value_fen <= MAX_FEN:
            problems.append(Reason.of("face_value_fen", "voucher.face_value_not_positive", "must be greater than 0"))
        problems += [Reason.of(field, "voucher.percent_field_for_amount", "only a percent voucher takes this")
                     for field, value in (("percent_off", percent_off), ("max_deduction_fen", max_deduction_fen))
                     if value is not None]
    else:
        if face_value_fen is not None:
            problems.append(Reason.of("face_value_fen", "voucher.face_value_for_percent",
                                      "a percent voucher has no face value (cap it with max_deduction_fen)"))
        if percent_off is None:
            problems.append(Reason.of("percent_off", "voucher.percent_required", "is required for a percent voucher"))
        elif isinstance(percent_off, bool) or not isinstance(percent_off, int) or not 1 <= percent_off <= 99:
            problems.append(Reason.of("percent_off", "voucher.percent_range", "must be a whole number from 1 to 99"))
        if max_deduction_fen is not None and not 0 < max_deduction_fen <= MAX_FEN:
            problems.append(Reason.of("max_deduction_fen", "voucher.cap_not_positive", "must be greater than 0"))
    problems += window_problems(usable_hours, usable_weekdays)
    if not 0 <= min_spend_fen <= MAX_FEN:
        problems.append(Reason.of("min_spend_fen", "voucher.min_spend_negative", "must not be negative"))
    if isinstance(validity, DaysValidity) and not 1 <= validity.days <= MAX_VALIDITY_DAYS:
        problems.append(Reason.of("validity.days", "voucher.validity_days_range", "must be from 1 to %(max)s",
                                      max=MAX_VALIDITY_DAYS))
    if isinstance(validity, WindowValidity) and validity.end <= validity.start:
        problems.append(Reason.of("validity.end", "voucher.window_end_before_start", "must be after the start"))
    return problems


class WindowClosed(Exception):
    """A window voucher cannot be issued at or after the end of its window."""


def validity_period(validity: Validity, issued_at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``(valid_from, valid_until)`` of a voucher issued at ``issued_at``."""
    if isinstance(validity, DaysValidity):
        return issued_at, local_midnight_after(issued_at, zone, validity.days)
    if issued_at >= validity.end:
        raise WindowClosed
    return validity.start, validity.end


@dataclass(frozen=True)
class OrderAmounts:
    station_id: str
    end_time: datetime
    elec_fee_fen: int
    service_fee_fen: int
    # The order's start in the operator's zone: usage windows are judged at it (None: not known, and a
    # voucher with a usage window is then refused).
    start_local: datetime | None = None

    @property
    def total_fen(self) -> int:
        return self.elec_fee_fen + self.service_fee_fen

    def base_fen(self, deduction_type: DeductionType) -> int:
        return self.service_fee_fen if deduction_type is DeductionType.SERVICE_FEE else self.total_fen


@dataclass(frozen=True)
class VoucherTerms:
    """What an issued voucher promises: a snapshot taken at issue, independent of its template."""

    id: int
    face_value_fen: int | None  # None for a percent voucher
    deduction_type: DeductionType
    station_ids: frozenset[str]
    min_spend_fen: int
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    kind: VoucherKind = VoucherKind.AMOUNT
    percent_off: int | None = None
    max_deduction_fen: int | None = None
    usable_hours: tuple[HoursRange, ...] = ()
    usable_weekdays: frozenset[int] = frozenset()


class Refusal(StrEnum):
    NOT_YET_VALID = "the order ended before the voucher's validity starts"
    EXPIRED = "the order ended after the voucher expired"
    STATION = "the voucher is not valid at this station"
    MIN_SPEND = "the order does not reach the voucher's minimum spend"
    NOTHING_TO_DEDUCT = "the order has nothing this voucher could deduct"
    OUTSIDE_HOURS = "the order started outside the voucher's usable hours"
    OUTSIDE_WEEKDAYS = "the order started on a weekday the voucher cannot be used"


# The stable code of each refusal (the English above is for people and may be reworded).
REFUSAL_CODES = {
    Refusal.NOT_YET_VALID: "voucher.not_yet_valid",
    Refusal.EXPIRED: "voucher.expired",
    Refusal.STATION: "voucher.wrong_station",
    Refusal.MIN_SPEND: "voucher.min_spend_not_reached",
    Refusal.NOTHING_TO_DEDUCT: "voucher.nothing_to_deduct",
    Refusal.OUTSIDE_HOURS: "voucher.outside_usable_hours",
    Refusal.OUTSIDE_WEEKDAYS: "voucher.outside_usable_weekdays",
}


def refusal(voucher: VoucherTerms, order: OrderAmounts) -> Refusal | None:
    """Why ``voucher`` cannot pay towards ``order``, or None when it can.

    Validity is judged at the order's end time, so a session ending at 23:59 and settled after
    midnight still gets a voucher that expired at 00:00; usage windows at its local start, so an
    off-peak voucher serves the session started at 06:59 that ends at 08:00.
    """
    if order.end_time < voucher.valid_from:
        return Refusal.NOT_YET_VALID
    if order.end_time >= voucher.valid_until:
        return Refusal.EXPIRED
    if voucher.station_ids and order.station_id not in voucher.station_ids:
        return Refusal.STATION
    base = order.base_fen(voucher.deduction_type)
    if base < voucher.min_spend_fen:
        return Refusal.MIN_SPEND
    if base == 0:
        return Refusal.NOTHING_TO_DEDUCT
    return window_refusal(voucher, order.start_local)


def window_refusal(voucher: VoucherTerms, start_local: datetime | None) -> Refusal | None:
    """Whether an order started at ``start_local`` (the operator's wall clock) falls outside the voucher's
    usable weekdays or hours."""
    if voucher.usable_weekdays and (start_local is None or start_local.isoweekday() not in voucher.usable_weekdays):
        return Refusal.OUTSIDE_WEEKDAYS
    if voucher.usable_hours:
        minute = None if start_local is None else start_local.hour * 60 + start_local.minute
        if minute is None or not any(r.admits(minute) for r in voucher.usable_hours):
            return Refusal.OUTSIDE_HOURS
    return None


def deduction_fen(voucher: VoucherTerms, order: OrderAmounts) -> int:
    """What the voucher takes off ``order``: an amount voucher min(face value, base) (the rest of the
    face value is forfeited); a percent voucher min(floor(base × percent_off / 100), cap, base)."""
    base = order.base_fen(voucher.deduction_type)
    if voucher.kind is VoucherKind.PERCENT:
        share = base * voucher.percent_off // 100  # whole fen, rounded down: never more than the share
        return min(share, voucher.max_deduction_fen if voucher.max_deduction_fen is not None else share, base)
    return min(voucher.face_value_fen, base)


def best_voucher(vouchers: list[VoucherTerms], order: OrderAmounts) -> VoucherTerms | None:
    """The usable voucher that deducts most from this order (a percent voucher's actual share, after its
    cap); ties go to the one expiring first, then the oldest."""
    usable = [v for v in vouchers if refusal(v, order) is None]
    if not usable:
        return None
    return min(usable, key=lambda v: (-deduction_fen(v, order), v.valid_until, v.issued_at, v.id))
