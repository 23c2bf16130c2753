from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from evperks.domain.reasons import Reason
from evperks.domain.wallet import (
    DEFAULT_RULES,
    StoredValueRules,
    recharge_refusal,
    settings_problems,
    wallet_payment_fen,
    yuan,
)

FIXED_ONLY = StoredValueRules(min_recharge_fen=5000, denominations_fen=(5000, 10000), allow_custom_amount=False)
WITH_CUSTOM = StoredValueRules(min_recharge_fen=1000, denominations_fen=(5000, 10000), allow_custom_amount=True)


def test_a_denomination_is_always_accepted():
    assert recharge_refusal(FIXED_ONLY, 10000) is None
    assert recharge_refusal(WITH_CUSTOM, 5000) is None


def test_without_custom_amounts_anything_but_a_denomination_is_refused():
    assert recharge_refusal(FIXED_ONLY, 7000) == Reason(
        "amount_fen", "wallet.amount_not_offered", "must be one of the denominations: 5000, 10000", {"offered": "5000, 10000"})
    assert recharge_refusal(FIXED_ONLY, 50000) is not None


def test_a_custom_amount_must_reach_the_minimum():
    assert recharge_refusal(WITH_CUSTOM, 1000) is None
    assert recharge_refusal(WITH_CUSTOM, 999) == Reason(
        "amount_fen", "wallet.amount_below_minimum", "must be at least 1000 (the minimum recharge)", {"min": 1000})


def test_the_defaults_offer_50_100_200_and_500_yuan_and_custom_amounts_from_1_yuan():
    assert DEFAULT_RULES.denominations_fen == (5000, 10000, 20000, 50000)
    assert (DEFAULT_RULES.min_recharge_fen, DEFAULT_RULES.allow_custom_amount) == (100, True)
    assert settings_problems(DEFAULT_RULES) == []


def test_settings_name_each_wrong_field_with_a_code():
    def problems(rules: StoredValueRules) -> list[tuple[str, str, str]]:
        return [(p.field, p.code, p.message) for p in settings_problems(rules)]

    assert problems(StoredValueRules(0, (100,), True))[0][:2] == ("min_recharge_fen", "wallet.min_recharge_not_positive")
    assert problems(StoredValueRules(100, (500, 500), True)) == [
        ("denominations_fen", "wallet.denominations_repeated", "denominations must be distinct")]
    assert problems(StoredValueRules(1000, (500,), True)) == [
        ("denominations_fen", "wallet.denomination_below_minimum", "every denomination must be at least min_recharge_fen")]
    assert problems(StoredValueRules(100, (0,), True))[0][:2] == ("denominations_fen", "wallet.denomination_not_positive")
    assert problems(StoredValueRules(100, (), False))[0][:2] == ("denominations_fen", "wallet.denominations_missing")
    too_many = settings_problems(StoredValueRules(100, tuple(range(100, 2200, 100)), True))
    assert [(p.code, p.params, p.message) for p in too_many] == [
        ("wallet.too_many_denominations", {"max": 20}, "at most 20 denominations")]


@given(balance=st.integers(0, 10**7), due=st.integers(0, 10**7))
def test_the_wallet_pays_what_it_can_and_never_more_than_is_due(balance, due):
    paid = wallet_payment_fen(balance, due)
    assert 0 <= paid <= min(balance, due)
    assert paid == balance or paid == due


def test_yuan_shows_fen_exactly():
    assert (yuan(10000), yuan(5), yuan(123456)) == ("100.00", "0.05", "1234.56")
