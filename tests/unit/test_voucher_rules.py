from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evperks.domain.reasons import Reason
from evperks.domain.vouchers import (
    DaysValidity,
    DeductionType,
    OrderAmounts,
    Refusal,
    VoucherTerms,
    WindowClosed,
    WindowValidity,
    best_voucher,
    deduction_fen,
    refusal,
    template_problems,
    validity_period,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def local(*args: int, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(*args, tzinfo=zone)


def voucher(id: int = 1, face: int = 1000, kind: DeductionType = DeductionType.TOTAL, stations=(), min_spend=0,
            valid_from=local(2026, 3, 1), valid_until=local(2026, 4, 1), issued_at=None) -> VoucherTerms:
    return VoucherTerms(id=id, face_value_fen=face, deduction_type=kind, station_ids=frozenset(stations),
                        min_spend_fen=min_spend, valid_from=valid_from, valid_until=valid_until,
                        issued_at=issued_at or valid_from)


def order(elec: int = 2000, service: int = 800, station: str = "S1", end=local(2026, 3, 12, 11)) -> OrderAmounts:
    return OrderAmounts(station_id=station, end_time=end, elec_fee_fen=elec, service_fee_fen=service)


def test_days_validity_runs_until_midnight_after_the_nth_local_day_counting_the_issue_day():
    valid_from, valid_until = validity_period(DaysValidity(7), local(2026, 3, 10, 15), SHANGHAI)
    assert valid_from == local(2026, 3, 10, 15)
    assert valid_until == local(2026, 3, 17, 0)


def test_one_day_validity_issued_just_before_midnight_ends_at_that_midnight():
    _, valid_until = validity_period(DaysValidity(1), local(2026, 3, 10, 23, 59, 59), SHANGHAI)
    assert valid_until == local(2026, 3, 11)


def test_days_validity_counts_local_days_not_utc_days():
    issued = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # already 01:00 on the 11th in Shanghai
    _, valid_until = validity_period(DaysValidity(1), issued, SHANGHAI)
    assert valid_until == local(2026, 3, 12)


def test_days_validity_across_a_daylight_saving_change_ends_at_local_midnight():
    _, valid_until = validity_period(DaysValidity(3), local(2026, 3, 7, 12, zone=NEW_YORK), NEW_YORK)
    assert valid_until == local(2026, 3, 10, zone=NEW_YORK)
    assert valid_until == datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # EDT (-4) after the 8 March change


def test_window_validity_is_the_window_itself():
    window = WindowValidity(local(2026, 5, 1), local(2026, 5, 8))
    assert validity_period(window, local(2026, 4, 20), SHANGHAI) == (local(2026, 5, 1), local(2026, 5, 8))


def test_window_voucher_cannot_be_issued_at_the_end_of_its_window():
    with pytest.raises(WindowClosed):
        validity_period(WindowValidity(local(2026, 5, 1), local(2026, 5, 8)), local(2026, 5, 8), SHANGHAI)


def test_order_ending_at_2359_may_use_a_voucher_that_expires_at_midnight():
    v = voucher(valid_until=local(2026, 3, 17))
    assert refusal(v, order(end=local(2026, 3, 16, 23, 59))) is None
    assert refusal(v, order(end=local(2026, 3, 17, 0, 0))) is Refusal.EXPIRED


def test_order_ending_before_the_window_opens_cannot_use_the_voucher():
    v = voucher(valid_from=local(2026, 5, 1), valid_until=local(2026, 5, 8))
    assert refusal(v, order(end=local(2026, 4, 30, 23, 59))) is Refusal.NOT_YET_VALID
    assert refusal(v, order(end=local(2026, 5, 1))) is None


def test_station_scope_limits_use_to_the_listed_stations_and_empty_means_all():
    assert refusal(voucher(stations={"S2"}), order(station="S1")) is Refusal.STATION
    assert refusal(voucher(stations={"S1", "S2"}), order(station="S1")) is None
    assert refusal(voucher(stations=()), order(station="S9")) is None


def test_minimum_spend_is_judged_on_the_vouchers_base():
    service_only = voucher(kind=DeductionType.SERVICE_FEE, min_spend=1000)
    assert refusal(service_only, order(elec=5000, service=999)) is Refusal.MIN_SPEND
    assert refusal(service_only, order(elec=0, service=1000)) is None


def test_service_fee_voucher_deducts_at_most_the_service_fee_and_forfeits_the_rest():
    v = voucher(face=1000, kind=DeductionType.SERVICE_FEE)
    assert deduction_fen(v, order(elec=5000, service=300)) == 300


def test_total_voucher_deducts_at_most_the_whole_bill():
    assert deduction_fen(voucher(face=5000), order(elec=2000, service=800)) == 2800
    assert deduction_fen(voucher(face=500), order(elec=2000, service=800)) == 500


def test_a_bill_with_nothing_to_deduct_refuses_the_voucher():
    assert refusal(voucher(kind=DeductionType.SERVICE_FEE), order(service=0)) is Refusal.NOTHING_TO_DEDUCT


def test_best_voucher_deducts_most():
    small, large = voucher(id=1, face=500), voucher(id=2, face=1500)
    assert best_voucher([small, large], order()) == large


def test_best_voucher_ties_go_to_the_one_expiring_first_then_the_oldest():
    late = voucher(id=1, face=500, valid_until=local(2026, 3, 30))
    early = voucher(id=2, face=500, valid_until=local(2026, 3, 20))
    assert best_voucher([late, early], order()) == early
    older = voucher(id=5, face=500, valid_until=local(2026, 3, 20), issued_at=local(2026, 3, 1))
    newer = voucher(id=3, face=500, valid_until=local(2026, 3, 20), issued_at=local(2026, 3, 2))
    assert best_voucher([newer, older], order()) == older


def test_a_larger_face_capped_by_the_base_ties_with_a_smaller_one_that_fits():
    capped = voucher(id=1, face=2000, kind=DeductionType.SERVICE_FEE, valid_until=local(2026, 3, 30))
    fits = voucher(id=2, face=800, valid_until=local(2026, 3, 20))
    assert best_voucher([capped, fits], order(service=800)) == fits


def test_no_usable_voucher_means_none():
    assert best_voucher([voucher(stations={"S2"})], order()) is None
    assert best_voucher([], order()) is None


fen = st.integers(min_value=0, max_value=10**7)
vouchers_strategy = st.lists(
    st.builds(
        voucher,
        id=st.integers(1, 10**6),
        face=st.integers(1, 10**6),
        kind=st.sampled_from(list(DeductionType)),
        stations=st.sets(st.sampled_from(["S1", "S2", "S3"]), max_size=2),
        min_spend=fen,
        valid_until=st.sampled_from([local(2026, 3, 12, 11), local(2026, 3, 20), local(2026, 4, 1)]),
    ),
    max_size=6,
)


@given(vouchers_strategy, fen, fen, st.sampled_from(["S1", "S2", "S3"]))
def test_the_chosen_voucher_is_usable_and_none_usable_deducts_more(vs, elec, service, station):
    o = order(elec=elec, service=service, station=station)
    chosen = best_voucher(vs, o)
    usable = [v for v in vs if refusal(v, o) is None]
    if chosen is None:
        assert usable == []
        return
    assert refusal(chosen, o) is None
    assert all(deduction_fen(chosen, o) >= deduction_fen(v, o) for v in usable)


@given(vouchers_strategy, fen, fen)
def test_a_deduction_never_exceeds_face_value_nor_its_base(vs, elec, service):
    o = order(elec=elec, service=service)
    for v in vs:
        d = deduction_fen(v, o)
        assert 0 <= d <= v.face_value_fen
        assert d <= (service if v.deduction_type is DeductionType.SERVICE_FEE else elec + service)


def test_a_template_with_every_field_wrong_is_refused_field_by_field():
    start = datetime(2026, 3, 10, tzinfo=UTC)
    problems = template_problems(name="  ", face_value_fen=0, min_spend_fen=-1,
                                 validity=WindowValidity(start=start, end=start))
    assert [p.field for p in problems] == ["name", "face_value_fen", "min_spend_fen", "validity.end"]
    assert template_problems(name="券", face_value_fen=1, min_spend_fen=0, validity=DaysValidity(0)) == [
        Reason("validity.days", "voucher.validity_days_range", "must be from 1 to 3650", {"max": 3650})]
    assert template_problems(name="券", face_value_fen=1, min_spend_fen=0, validity=DaysValidity(3650)) == []
