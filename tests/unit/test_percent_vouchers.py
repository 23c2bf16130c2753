"""Percent vouchers and usage windows: the pure maths (domain.vouchers)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from evperks.domain.vouchers import (
    DeductionType,
    HoursRange,
    OrderAmounts,
    Refusal,
    VoucherKind,
    VoucherTerms,
    best_voucher,
    deduction_fen,
    window_refusal,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
T1 = datetime(2026, 4, 1, tzinfo=UTC)


def _voucher(id_: int = 1, **terms) -> VoucherTerms:
    defaults = {"face_value_fen": None, "deduction_type": DeductionType.TOTAL, "station_ids": frozenset(),
                "min_spend_fen": 0, "valid_from": T0, "valid_until": T1, "issued_at": T0, "kind": VoucherKind.PERCENT,
                "percent_off": 20}
    return VoucherTerms(id=id_, **{**defaults, **terms})


def _order(elec: int, service: int) -> OrderAmounts:
    return OrderAmounts(station_id="S1", end_time=datetime(2026, 3, 12, tzinfo=UTC), elec_fee_fen=elec,
                        service_fee_fen=service)


fen = st.integers(min_value=0, max_value=10**12)


@given(elec=fen, service=fen, percent=st.integers(1, 99), cap=st.none() | st.integers(1, 10**12))
def test_a_percent_deduction_is_the_floored_share_never_above_the_cap_nor_the_base(elec, service, percent, cap):
    order = _order(elec, service)
    for deduction_type in DeductionType:
        base = order.base_fen(deduction_type)
        taken = deduction_fen(_voucher(percent_off=percent, max_deduction_fen=cap, deduction_type=deduction_type), order)
        assert 0 <= taken <= base
        assert taken * 100 <= base * percent < (taken + 1) * 100 or taken == cap
        if cap is not None:
            assert taken <= cap


@given(elec=fen, service=fen, percent=st.integers(1, 99), cap=st.integers(1, 10**6), face=st.integers(1, 10**6))
def test_auto_choice_takes_the_larger_actual_deduction(elec, service, percent, cap, face):
    order = _order(elec, service)
    percent_voucher = _voucher(1, percent_off=percent, max_deduction_fen=cap)
    amount_voucher = _voucher(2, kind=VoucherKind.AMOUNT, face_value_fen=face, percent_off=None)
    chosen = best_voucher([percent_voucher, amount_voucher], order)
    if order.total_fen == 0:
        assert chosen is None
    else:
        assert deduction_fen(chosen, order) == max(deduction_fen(v, order) for v in (percent_voucher, amount_voucher))


def test_worked_examples_from_the_docs():
    assert deduction_fen(_voucher(max_deduction_fen=300), _order(3000, 2000)) == 300  # 20% of 50.00, capped at 3.00
    assert deduction_fen(_voucher(max_deduction_fen=300), _order(500, 500)) == 200  # 20% of 10.00
    assert deduction_fen(_voucher(percent_off=15, deduction_type=DeductionType.SERVICE_FEE), _order(2000, 799)) == 119


@given(start=st.integers(0, 1439), end=st.integers(0, 1439), minute=st.integers(0, 1439))
def test_a_wrapping_range_admits_exactly_the_minutes_its_two_halves_do(start, end, minute):
    if start == end:
        return
    hours = HoursRange(start, end)
    expected = start <= minute < end if start < end else (minute >= start or minute < end)
    assert hours.admits(minute) == expected


def test_off_peak_edges():
    voucher = _voucher(usable_hours=(HoursRange(23 * 60, 7 * 60),))
    at = lambda h, m: window_refusal(voucher, datetime(2026, 3, 12, h, m))  # noqa: E731
    assert [at(22, 59), at(23, 0), at(6, 59), at(7, 0)] == [Refusal.OUTSIDE_HOURS, None, None, Refusal.OUTSIDE_HOURS]
