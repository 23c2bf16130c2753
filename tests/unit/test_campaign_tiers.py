"""Tier rules of campaigns (消费活动 thresholds, 充值活动 amounts) and the days a campaign has left, without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evperks.domain.campaigns import days_left, reached_count, sorted_tiers, tier_for_amount, tiers_crossed

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Written out of order, as an operator may: the stored position stays each tier's identity (a package's ref).
CONSUMPTION = [{"threshold": 30_000, "reward": ["b"]}, {"threshold": 10_000, "reward": ["a"]},
               {"threshold": 60_000, "reward": ["c"]}]
RECHARGE = [{"min_amount_fen": 10_000, "reward": ["ten"]}, {"min_amount_fen": 50_000, "reward": ["fifty"]}]


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


def test_tiers_are_sorted_by_threshold_and_keep_their_stored_position():
    assert [(t.index, t.threshold, t.reward) for t in sorted_tiers(CONSUMPTION)] == [
        (1, 10_000, ["a"]), (0, 30_000, ["b"]), (2, 60_000, ["c"])]


def test_recharge_tiers_are_sorted_by_their_minimum_amount():
    assert [t.threshold for t in sorted_tiers(RECHARGE, "min_amount_fen")] == [10_000, 50_000]


@pytest.mark.parametrize(("amount", "reached"), [(0, 0), (9_999, 0), (10_000, 1), (59_999, 2), (60_000, 3), (10**9, 3)])
def test_a_threshold_counts_as_reached_from_the_amount_equal_to_it(amount, reached):
    assert reached_count(sorted_tiers(CONSUMPTION), amount) == reached


@pytest.mark.parametrize(("amount", "reward"), [(9_999, None), (10_000, ["ten"]), (49_999, ["ten"]),
                                                (50_000, ["fifty"]), (200_000, ["fifty"])])
def test_a_recharge_gets_the_highest_tier_its_amount_reaches(amount, reward):
    tier = tier_for_amount(sorted_tiers(RECHARGE, "min_amount_fen"), amount)
    assert (tier.reward if tier else None) == reward


def test_an_order_crossing_two_thresholds_earns_both_tiers_and_none_already_reached():
    tiers = sorted_tiers(CONSUMPTION)
    assert [t.index for t in tiers_crossed(tiers, reached_before=1, amount=65_000)] == [0, 2]
    assert tiers_crossed(tiers, reached_before=3, amount=99_000) == []
    assert tiers_crossed(tiers, reached_before=0, amount=9_000) == []


@given(st.lists(st.integers(0, 5_000), max_size=12))
def test_the_tiers_crossed_order_by_order_are_each_tier_reached_once(orders):
    tiers = sorted_tiers(CONSUMPTION)
    total, reached, crossed = 0, 0, []
    for amount in orders:
        total += amount * 10
        crossed += tiers_crossed(tiers, reached, total)
        reached = reached_count(tiers, total)
    assert crossed == tiers[:reached_count(tiers, total)]


@pytest.mark.parametrize(("now", "expected"), [
    (local(2026, 3, 28, 0, 0), 3), (local(2026, 3, 28, 23, 59), 3), (local(2026, 3, 30, 12), 1),
    (local(2026, 3, 31, 0, 0), 0), (local(2026, 4, 2), 0)])
def test_days_left_count_the_local_days_today_included_until_the_end(now, expected):
    assert days_left(local(2026, 3, 31), now, SHANGHAI) == expected
