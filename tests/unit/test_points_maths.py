"""Earning and redemption maths: exact integers, whole fen, only the points they cost."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from evperks.domain.points import (
    EarningRule,
    RedemptionOrder,
    RedemptionRule,
    exchange_unit,
    points_earned,
    redemption,
)


def order(elec=2000, service=800, voucher=0, on_service=False, station="S1") -> RedemptionOrder:
    return RedemptionOrder(station, elec, service, voucher, on_service)


def rule(**fields) -> RedemptionRule:
    return RedemptionRule(**{"enabled": True, **fields})


def test_earning_floors_per_yuan_paid():
    assert points_earned(EarningRule(per_yuan_paid=Decimal(1)), paid_fen=2899, energy_wh=0) == 28


def test_earning_with_decimal_rates_is_exact():
    # 0.1 points per yuan on 30 yuan is exactly 3 (a float would give 2.9999…).
    assert points_earned(EarningRule(per_yuan_paid=Decimal("0.1")), paid_fen=3000, energy_wh=0) == 3
    assert points_earned(EarningRule(per_kwh=Decimal("1.5")), paid_fen=0, energy_wh=20_500) == 30
    both = EarningRule(per_yuan_paid=Decimal("0.5"), per_kwh=Decimal("0.5"))
    assert points_earned(both, paid_fen=101, energy_wh=1_000) == 1  # 0.505 + 0.5 floored once


def test_redemption_at_100_points_per_yuan_is_one_point_per_fen():
    assert redemption(rule(), order(), points_available=500) == (500, 500)
    assert redemption(rule(), order(), points_available=10_000) == (2800, 2800)


def test_redemption_at_150_points_per_yuan_spends_3_points_per_2_fen():
    assert exchange_unit(150) == (3, 2)
    assert redemption(rule(points_per_yuan=150), order(), points_available=100) == (99, 66)
    assert redemption(rule(points_per_yuan=150), order(), points_available=101) == (99, 66)
    assert redemption(rule(points_per_yuan=150), order(), points_available=102) == (102, 68)
    assert redemption(rule(points_per_yuan=150), order(), points_available=2) == (0, 0)


def test_a_share_cap_not_divisible_by_the_unit_is_rounded_down_to_whole_units():
    # 2800 left, 33% → 924 fen; at 150 points/yuan units are 2 fen: 462 units = 924 fen for 1386 points.
    assert redemption(rule(points_per_yuan=150, max_share_percent=33), order(), points_available=10_000) == (1386, 924)
    # 2801 left, 10% → 280.1 floored to 280.
    assert redemption(rule(max_share_percent=10), order(elec=2001), points_available=10_000) == (280, 280)


def test_other_rates():
    assert exchange_unit(1000) == (10, 1)
    assert exchange_unit(30) == (3, 10)
    assert exchange_unit(7) == (7, 100)
    assert redemption(rule(points_per_yuan=7), order(), points_available=100) == (98, 1400)


def test_below_min_points_the_member_cannot_redeem():
    assert redemption(rule(min_points=500), order(), points_available=499) == (0, 0)
    assert redemption(rule(min_points=500), order(), points_available=500) == (500, 500)


def test_an_order_too_small_for_min_points_redeems_nothing():
    assert redemption(rule(min_points=500), order(elec=300, service=100), points_available=10_000) == (0, 0)


def test_max_points_caps_the_points_per_order():
    assert redemption(rule(max_points=300), order(), points_available=10_000) == (300, 300)


def test_the_share_is_of_what_is_left_after_the_voucher():
    assert redemption(rule(max_share_percent=50), order(voucher=1000), points_available=10_000) == (900, 900)


def test_no_redemption_with_a_voucher_when_it_does_not_combine():
    assert redemption(rule(combine_with_voucher=False), order(voucher=1), points_available=10_000) == (0, 0)
    assert redemption(rule(combine_with_voucher=False), order(voucher=0), points_available=10_000) == (2800, 2800)


def test_service_fee_base_pays_at_most_the_service_fee_left():
    assert redemption(rule(base="service_fee"), order(), points_available=10_000) == (800, 800)
    assert redemption(rule(base="service_fee"), order(voucher=300, on_service=True), points_available=10_000) == (500, 500)
    assert redemption(rule(base="service_fee"), order(voucher=2300), points_available=10_000) == (500, 500)


def test_stations_out_of_scope_and_disabled_redeem_nothing():
    assert redemption(rule(station_ids=frozenset({"S2"})), order(), points_available=10_000) == (0, 0)
    assert redemption(rule(station_ids=frozenset({"S1"})), order(), points_available=10_000) == (2800, 2800)
    assert redemption(RedemptionRule(enabled=False), order(), points_available=10_000) == (0, 0)


@given(
    st.integers(1, 100_000), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6),
    st.integers(1, 100), st.integers(0, 5000), st.one_of(st.none(), st.integers(1, 10**6)), st.integers(0, 10**7),
)
def test_redemption_is_exact_and_within_every_limit(ppy, elec, service, voucher, share, min_points, max_points, available):
    voucher = min(voucher, elec + service)
    r = rule(points_per_yuan=ppy, max_share_percent=share, min_points=min_points, max_points=max_points)
    if max_points is not None and max_points < min_points:
        return
    points, fen = redemption(r, order(elec, service, voucher), points_available=available)
    assert Fraction(points * 100, ppy) == fen  # exactly the rate: no fraction of a point gained or lost
    assert 0 <= points <= available
    assert fen <= (elec + service - voucher) * share // 100
    assert points == 0 or points >= min_points
    assert max_points is None or points <= max_points
