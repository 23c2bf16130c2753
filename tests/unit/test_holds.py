"""Charge-session holds: what is available, what a session holds, and what a payment may use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from evperks.domain.holds import (
    SessionRules,
    available,
    points_hold,
    session_rules_problems,
    usable,
    voucher_hold_refusal,
    wallet_hold,
)
from evperks.domain.vouchers import DeductionType, VoucherTerms

NOW = datetime(2026, 3, 12, 2, tzinfo=UTC)


def voucher(**fields) -> VoucherTerms:
    values = dict(id=1, face_value_fen=1000, deduction_type=DeductionType.TOTAL, station_ids=frozenset(),
                  min_spend_fen=0, valid_from=NOW - timedelta(days=1), valid_until=NOW + timedelta(days=1),
                  issued_at=NOW - timedelta(days=1))
    return VoucherTerms(**{**values, **fields})


def test_available_is_the_balance_less_the_holds_and_never_negative():
    assert available(5000, 3000) == 2000
    assert available(100, 300) == 0  # points expired below what sessions hold


def test_an_order_outside_a_session_uses_only_what_no_session_holds():
    assert usable(balance=5000, held_total=3000) == 2000


def test_a_settling_session_uses_its_own_hold_first_then_what_is_free():
    assert usable(balance=5000, held_total=3000, own_hold=1000) == 3000


def test_a_session_keeps_its_hold_when_expiry_shrank_the_points_below_every_hold():
    # 100 points left, this session holds 50 and another 80: first settled, first served.
    assert usable(balance=100, held_total=130, own_hold=50) == 50
    assert usable(balance=40, held_total=130, own_hold=50) == 40


@given(balance=st.integers(0, 10**6), held=st.integers(0, 10**6), own=st.integers(0, 10**6))
def test_no_payment_ever_uses_more_than_the_balance_or_another_sessions_hold(balance, held, own):
    own = min(own, held)
    used = usable(balance=balance, held_total=held, own_hold=own)
    assert 0 <= used <= balance
    if held <= balance:  # the wallet: holds never exceed it
        assert used <= balance - (held - own)


def test_omitting_the_amount_holds_the_whole_available_balance():
    assert wallet_hold(available_fen=4200, requested_fen=None, min_start_fen=0).fen == 4200


def test_a_start_below_the_minimum_balance_is_refused_on_the_wallet():
    refused = wallet_hold(available_fen=999, requested_fen=None, min_start_fen=1000).refusal
    assert (refused.field, refused.code, refused.params) == (
        "use_wallet", "session.balance_below_minimum", {"available": 999, "minimum": 1000})


def test_a_hold_larger_than_the_available_balance_is_refused():
    refused = wallet_hold(available_fen=999, requested_fen=1000, min_start_fen=0).refusal
    assert (refused.field, refused.code) == ("wallet_hold_fen", "session.hold_exceeds_available")
    assert wallet_hold(available_fen=999, requested_fen=999, min_start_fen=0).fen == 999


def test_points_are_held_up_to_the_redemption_maximum_or_all_without_one():
    assert points_hold(available_points=800, max_points=500, redemption_open=True) == 500
    assert points_hold(available_points=300, max_points=500, redemption_open=True) == 300
    assert points_hold(available_points=800, max_points=None, redemption_open=True) == 800
    assert points_hold(available_points=800, max_points=None, redemption_open=False) == 0


def test_a_voucher_is_held_only_at_its_stations_and_before_it_expires():
    assert voucher_hold_refusal(voucher(), station_id="S1", at=NOW) is None
    assert voucher_hold_refusal(voucher(station_ids=frozenset({"S2"})), station_id="S1", at=NOW).code == "voucher.wrong_station"
    assert voucher_hold_refusal(voucher(valid_until=NOW), station_id="S1", at=NOW).code == "voucher.expired"


def test_session_rules_name_each_wrong_field():
    assert session_rules_problems(SessionRules(0, 24)) == []
    assert [p.field for p in session_rules_problems(SessionRules(-1, 0))] == ["min_start_balance_fen", "hold_hours"]
    assert [p.code for p in session_rules_problems(SessionRules(0, 721))] == ["wallet.hold_hours_range"]
