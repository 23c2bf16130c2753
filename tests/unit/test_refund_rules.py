"""The rules of a refund (退款): what is still refundable, the external part first, proportional
claw-backs of earned points that never lose a point to rounding, and the order's status."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from evperks.domain.campaigns import Tier, tiers_reached_after_revoking
from evperks.domain.refunds import PaidOrder, plan_refund, points_taken, refund_refusal

fen = st.integers(min_value=0, max_value=10**9)
points = st.integers(min_value=0, max_value=10**6)


@st.composite
def orders_and_refunds(draw):
    """An order and a sequence of refund amounts (None: the rest) that the rules allow."""
    order = PaidOrder(wallet_paid_fen=draw(fen), due_fen=draw(fen), points_earned=draw(points))
    amounts = []
    left = order.refundable_fen
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        if left == 0:
            break
        amounts.append(draw(st.integers(min_value=1, max_value=left)))
        left -= amounts[-1]
    if draw(st.booleans()) and (left > 0 or not amounts):
        amounts.append(None)
    return order, amounts


def _run(order: PaidOrder, amounts):
    plans = []
    for amount in amounts:
        assert refund_refusal(order, amount) is None
        plan = plan_refund(order, amount)
        plans.append(plan)
        order = PaidOrder(order.wallet_paid_fen, order.due_fen, order.points_earned, plan.refunded_after_fen,
                          plan.status_after)
    return order, plans


@given(orders_and_refunds())
def test_refunds_never_exceed_what_was_paid_and_their_parts_add_up(case):
    order, amounts = case
    after, plans = _run(order, amounts)
    assert after.refunded_fen <= order.refundable_fen
    assert sum(p.external_fen for p in plans) <= order.due_fen
    assert sum(p.wallet_fen for p in plans) <= order.wallet_paid_fen
    for p in plans:
        assert p.amount_fen == p.external_fen + p.wallet_fen and p.external_fen >= 0 and p.wallet_fen >= 0


@given(orders_and_refunds())
def test_the_external_part_goes_back_before_any_wallet_money(case):
    order, amounts = case
    _, plans = _run(order, amounts)
    external_so_far = 0
    for p in plans:
        if p.wallet_fen > 0:
            assert external_so_far + p.external_fen == order.due_fen
        external_so_far += p.external_fen


@given(orders_and_refunds())
def test_clawbacks_follow_the_refunded_share_and_sum_to_the_points_earned_at_full_refund(case):
    order, amounts = case
    after, plans = _run(order, amounts)
    clawed = sum(p.points_clawed_back for p in plans)
    assert all(p.points_clawed_back >= 0 for p in plans)
    if after.status == "refunded":
        assert clawed == order.points_earned
        assert [p.full for p in plans].count(True) == 1 and plans[-1].full
    elif order.refundable_fen:
        assert clawed == order.points_earned * after.refunded_fen // order.refundable_fen


@given(orders_and_refunds())
def test_nothing_more_can_be_refunded_once_the_order_is_refunded(case):
    order, amounts = case
    after, _ = _run(order, amounts)
    if after.status != "refunded":
        after, _ = _run(after, [None])
    assert after.status == "refunded"
    assert refund_refusal(after, None).code == "refund.order_refunded"
    assert refund_refusal(after, 1).code == "refund.order_refunded"


def test_three_partial_refunds_of_a_third_each_take_back_every_point():
    order = PaidOrder(wallet_paid_fen=0, due_fen=300, points_earned=10)
    _, plans = _run(order, [100, 100, 100])
    assert [p.points_clawed_back for p in plans] == [3, 3, 4]
    assert [p.status_after for p in plans] == ["partially_refunded", "partially_refunded", "refunded"]


def test_an_order_paid_without_money_is_refunded_in_full_with_amount_0():
    order = PaidOrder(wallet_paid_fen=0, due_fen=0, points_earned=5)
    plan = plan_refund(order, None)
    assert (plan.amount_fen, plan.full, plan.points_clawed_back, plan.status_after) == (0, True, 5, "refunded")
    assert refund_refusal(order, 0) is None


def test_refusals_name_the_amount():
    order = PaidOrder(wallet_paid_fen=100, due_fen=100, points_earned=0, refunded_fen=50, status="partially_refunded")
    assert refund_refusal(order, 151).code == "refund.too_much"
    assert refund_refusal(order, 151).params == {"left": 150}
    assert refund_refusal(order, 0).code == "refund.amount_zero"
    assert refund_refusal(order, -1).code == "refund.amount_negative"
    assert refund_refusal(order, 150) is None


@given(st.integers(min_value=0, max_value=1000), st.integers(min_value=0, max_value=1000))
def test_a_clawback_never_takes_more_than_there_is_and_records_the_rest(wanted, available):
    taken, shortfall = points_taken(wanted, available)
    assert 0 <= taken <= available and taken + shortfall == wanted and shortfall >= 0


TIERS = [Tier(0, 100, []), Tier(2, 200, []), Tier(1, 300, [])]  # stored positions 0, 2, 1; sorted by threshold


def test_revoking_a_tier_lowers_the_tiers_reached_to_it_unless_a_higher_tier_is_kept():
    assert tiers_reached_after_revoking(TIERS, 3, revoked={1}, kept={0, 2}) == 2
    assert tiers_reached_after_revoking(TIERS, 3, revoked={2, 1}, kept={0}) == 1
    assert tiers_reached_after_revoking(TIERS, 3, revoked={2}, kept={0, 1}) == 3  # the top tier's package is kept
    assert tiers_reached_after_revoking(TIERS, 2, revoked=set(), kept={0}) == 2
