"""The points mall's pure rules: what a valid item is, when it is open, and why an exchange is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from evperks.domain.mall import ItemSpec, Offer, Refusal, item_problems, refusal, window_open

NOW = datetime(2026, 3, 12, 4, tzinfo=UTC)


def spec(**fields) -> ItemSpec:
    return ItemSpec(**{"name": "礼包", "reward": ((1, 1),), "points_price": 100, "stock": 5, **fields})


def offer(**fields) -> Offer:
    values = {"enabled": True, "start_at": None, "end_at": None, "stock_left": 1, "per_member_limit": 1,
              "points_price": 100, "exchanged": 0, "points_available": 100}
    return Offer(**{**values, **fields})


def test_a_complete_item_has_no_problems_and_an_open_limit_means_no_limit():
    assert item_problems(spec()) == []
    assert item_problems(spec(per_member_limit=None, stock=0)) == []


def test_every_wrong_field_is_named_with_its_code():
    wrong = spec(name=" ", reward=((1, 0), (1, 1)), points_price=0, stock=-1, per_member_limit=0,
                 start_at=NOW, end_at=NOW)
    assert {(p.field, p.code) for p in item_problems(wrong)} == {
        ("name", "mall.name_length"), ("reward.0.quantity", "campaign.quantity_out_of_range"),
        ("reward.1.template_id", "campaign.template_repeated"), ("points_price", "mall.price_not_positive"),
        ("stock", "mall.stock_out_of_range"), ("per_member_limit", "mall.limit_not_positive"),
        ("end_at", "mall.end_before_start"),
    }


def test_an_item_without_vouchers_is_refused():
    assert [p.code for p in item_problems(spec(reward=()))] == ["campaign.reward_empty"]


@pytest.mark.parametrize(("start", "end", "open_"), [
    (None, None, True), (NOW, None, True), (None, NOW, False),
    (datetime(2026, 3, 13, tzinfo=UTC), None, False), (None, datetime(2026, 3, 13, tzinfo=UTC), True),
])
def test_the_window_includes_its_start_and_excludes_its_end(start, end, open_):
    assert window_open(start, end, NOW) is open_


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, None),
    ({"enabled": False}, Refusal.UNAVAILABLE),
    ({"end_at": NOW}, Refusal.UNAVAILABLE),
    ({"stock_left": 0}, Refusal.OUT_OF_STOCK),
    ({"exchanged": 1}, Refusal.LIMIT_REACHED),
    ({"per_member_limit": None, "exchanged": 50}, None),
    ({"points_available": 99}, Refusal.POINTS_NOT_ENOUGH),
    ({"stock_left": 0, "points_available": 0}, Refusal.OUT_OF_STOCK),  # no stock is said before too few points
])
def test_an_exchange_is_refused_for_the_first_reason_that_applies(fields, expected):
    assert refusal(offer(**fields), NOW) is expected


def test_every_exchange_refusal_has_words_for_the_pages_and_the_api():
    from evperks.domain.mall import REFUSAL_MESSAGES
    from evperks.web import refusals

    assert set(REFUSAL_MESSAGES) == set(Refusal)
    assert {code: refusals.MESSAGES.get(code) for code in Refusal} == {
        code: REFUSAL_MESSAGES[code] for code in Refusal}
