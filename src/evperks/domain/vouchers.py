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


def template_problems(*, name: str, face_value_fen: int, validity: Validity, min_spend_fen: int) -> list[Reason]:
    """Every field of a voucher template that breaks the rules, by name (empty when it is sound)."""
    problems = []
    if not name.strip() or len(name) > 100:
        problems.append(Reason.of("name", "voucher.name_length", "must be 1 to 100 characters"))
    if not 0 < face_value_fen <= MAX_FEN:
        problems.append(Reason.of("face_value_fen", "voucher.face_value_not_positive", "must be greater than 0"))
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

    @property
    def total_fen(self) -> int:
        return self.elec_fee_fen + self.service_fee_fen

    def base_fen(self, deduction_type: DeductionType) -> int:
        return self.service_fee_fen if deduction_type is DeductionType.SERVICE_FEE else self.total_fen


@dataclass(frozen=True)
class VoucherTerms:
    """What an issued voucher promises: a snapshot taken at issue, independent of its template."""

    id: int
    face_value_fen: int
    deduction_type: DeductionType
    station_ids: frozenset[str]
    min_spend_fen: int
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime


class Refusal(StrEnum):
    NOT_YET_VALID = "the order ended before the voucher's validity starts"
    EXPIRED = "the order ended after the voucher expired"
    STATION = "the voucher is not valid at this station"
    MIN_SPEND = "the order does not reach the voucher's minimum spend"
    NOTHING_TO_DEDUCT = "the order has nothing this voucher could deduct"


# The stable code of each refusal (the English above is for people and may be reworded).
REFUSAL_CODES = {
    Refusal.NOT_YET_VALID: "voucher.not_yet_valid",
    Refusal.EXPIRED: "voucher.expired",
    Refusal.STATION: "voucher.wrong_station",
    Refusal.MIN_SPEND: "voucher.min_spend_not_reached",
    Refusal.NOTHING_TO_DEDUCT: "voucher.nothing_to_deduct",
}


def refusal(voucher: VoucherTerms, order: OrderAmounts) -> Refusal | None:
    """Why ``voucher`` cannot pay towards ``order``, or None when it can.

    Validity is judged at the order's end time, so a session ending at 23:59 and settled after
    midnight still gets a voucher that expired at 00:00.
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
    return None


def deduction_fen(voucher: VoucherTerms, order: OrderAmounts) -> int:
    """min(face value, base); the rest of the face value is forfeited."""
    return min(voucher.face_value_fen, order.base_fen(voucher.deduction_type))


def best_voucher(vouchers: list[VoucherTerms], order: OrderAmounts) -> VoucherTerms | None:
    """The usable voucher that deducts most; ties go to the one expiring first, then the oldest."""
    usable = [v for v in vouchers if refusal(v, order) is None]
    if not usable:
        return None
    return min(usable, key=lambda v: (-deduction_fen(v, order), v.valid_until, v.issued_at, v.id))
