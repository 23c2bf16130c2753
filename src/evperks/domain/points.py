"""Points maths: earning on a settled order, and redemption for cash (积分抵现). Integers and Decimal only.

Redemption is exact: ``points_per_yuan`` points are worth 100 fen, so with g = gcd(points_per_yuan, 100)
the smallest exchange that costs a whole number of points *and* pays a whole number of fen is one
"unit" of ``points_per_yuan / g`` points for ``100 / g`` fen. Redemption spends whole units only, so the
member never pays a fraction of a point more (or less) than the rate says:
- 100 points/yuan: 1 point ↔ 1 fen.     150 points/yuan: 3 points ↔ 2 fen (101 points pay 66 fen for 99).
- 1000 points/yuan: 10 points ↔ 1 fen.   30 points/yuan: 3 points ↔ 10 fen.   7 points/yuan: 7 ↔ 100 fen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

MAX_POINTS = 10**12  # far beyond any member's balance, far below any integer overflow
MAX_RATE = Decimal(100_000)  # points per yuan or per kWh an earning rule may give


@dataclass(frozen=True)
class EarningRule:
    """Points per yuan actually paid and per kWh; the sum is floored once."""

    per_yuan_paid: Decimal = Decimal(0)
    per_kwh: Decimal = Decimal(0)


def points_earned(rule: EarningRule, *, paid_fen: int, energy_wh: int) -> int:
    exact = Decimal(paid_fen) * rule.per_yuan_paid / 100 + Decimal(energy_wh) * rule.per_kwh / 1000
    return max(0, int(exact.to_integral_value(rounding=ROUND_FLOOR)))


@dataclass(frozen=True)
class RedemptionRule:
    enabled: bool = False
    points_per_yuan: int = 100
    base: str = "total"  # or "service_fee"
    station_ids: frozenset[str] = field(default_factory=frozenset)  # empty: every station
    min_points: int = 0
    max_points: int | None = None  # None: no limit per order
    max_share_percent: int = 100
    combine_with_voucher: bool = True


@dataclass(frozen=True)
class RedemptionOrder:
    """What redemption needs to know about the order once the voucher has been applied."""

    station_id: str
    elec_fee_fen: int
    service_fee_fen: int
    voucher_deduction_fen: int
    voucher_on_service_fee: bool  # the voucher (if any) deducted from the service fee only


def exchange_unit(points_per_yuan: int) -> tuple[int, int]:
    """(points, fen) of the smallest exact exchange."""
    g = math.gcd(points_per_yuan, 100)
    return points_per_yuan // g, 100 // g


def payable_fen(rule: RedemptionRule, order: RedemptionOrder) -> int:
    """The most points may pay on this order, in fen, before looking at the member's points."""
    if not rule.enabled:
        return 0
    if rule.station_ids and order.station_id not in rule.station_ids:
        return 0
    if order.voucher_deduction_fen > 0 and not rule.combine_with_voucher:
        return 0
    left = order.elec_fee_fen + order.service_fee_fen - order.voucher_deduction_fen
    if rule.base == "service_fee":
        # A service-fee voucher took its deduction from the service fee; a total voucher is taken as
        # paying the electricity fee first (the member-friendly reading).
        voucher_on_service = (
            order.voucher_deduction_fen
            if order.voucher_on_service_fee
            else max(0, order.voucher_deduction_fen - order.elec_fee_fen)
        )
        base_left = order.service_fee_fen - voucher_on_service
    else:
        base_left = left
    share_cap = left * rule.max_share_percent // 100
    return max(0, min(base_left, share_cap))


def redemption(rule: RedemptionRule, order: RedemptionOrder, *, points_available: int) -> tuple[int, int]:
    """(points spent, fen deducted): whole exchange units within every limit; (0, 0) when none fit."""
    max_fen = payable_fen(rule, order)
    usable = points_available if rule.max_points is None else min(points_available, rule.max_points)
    if max_fen <= 0 or usable <= 0 or points_available < rule.min_points:
        return 0, 0
    unit_points, unit_fen = exchange_unit(rule.points_per_yuan)
    units = min(max_fen // unit_fen, usable // unit_points)
    points, fen = units * unit_points, units * unit_fen
    if points == 0 or points < rule.min_points:
        return 0, 0
    return points, fen
