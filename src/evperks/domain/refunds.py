"""Refunds of a settled charge order (退款): how much is still refundable, how a refund splits into the
external part (``due_fen``, returned by the platform's own payment channel) and the wallet part, how many
earned points it takes back, and the order's status after it. Pure: no IO, money in integer fen.
"""

from __future__ import annotations

from dataclasses import dataclass

from evperks.domain.checkout import order_status
from evperks.domain.reasons import Reason

SETTLED, REFUNDED = "settled", "refunded"


@dataclass(frozen=True)
class PaidOrder:
    """What a settled order was paid in money and earned in points, and what refunds gave back so far."""

    wallet_paid_fen: int
    due_fen: int
    points_earned: int
    refunded_fen: int = 0
    status: str = SETTLED

    @property
    def refundable_fen(self) -> int:
        """Everything the member paid for the order in money: the wallet part plus what the platform collected."""
        return self.wallet_paid_fen + self.due_fen

    @property
    def still_refundable_fen(self) -> int:
        return self.refundable_fen - self.refunded_fen


@dataclass(frozen=True)
class RefundPlan:
    amount_fen: int
    external_fen: int
    wallet_fen: int
    points_clawed_back: int  # earned points to take back now (what the member has may fall short)
    full: bool  # this refund completes the order's refund: undo the voucher, points, counts and rewards
    refunded_after_fen: int
    status_after: str


def refund_refusal(order: PaidOrder, amount_fen: int | None) -> Reason | None:
    """Why a refund of ``amount_fen`` (None: all that is left) cannot be made; None when it can."""
    if order.status == REFUNDED:
        return Reason.of("order_no", "refund.order_refunded", "the order is already refunded in full")
    if amount_fen is None:
        return None
    if amount_fen < 0:
        return Reason.of("amount_fen", "refund.amount_negative", "may not be negative")
    if amount_fen > order.still_refundable_fen:
        return Reason.of("amount_fen", "refund.too_much", "only %(left)s fen of the order can still be refunded",
                         left=order.still_refundable_fen)
    if amount_fen == 0 and order.still_refundable_fen > 0:
        return Reason.of("amount_fen", "refund.amount_zero", "must be greater than 0 (omit it to refund all that is left)")
    return None


def plan_refund(order: PaidOrder, amount_fen: int | None) -> RefundPlan:
    """The refund of ``amount_fen`` (None: all that is left); ``refund_refusal`` must have allowed it."""
    amount = order.still_refundable_fen if amount_fen is None else amount_fen
    assert 0 <= amount <= order.still_refundable_fen and order.status != REFUNDED
    external = external_part(order, amount)
    after = order.refunded_fen + amount
    full = after == order.refundable_fen
    return RefundPlan(
        amount_fen=amount,
        external_fen=external,
        wallet_fen=amount - external,
        points_clawed_back=clawback(order.points_earned, order.refundable_fen, before=order.refunded_fen, after=after),
        full=full,
        refunded_after_fen=after,
        status_after=REFUNDED if full else order_status(paid_fen=order.refundable_fen, refunded_fen=after),
    )


def external_part(order: PaidOrder, amount_fen: int) -> int:
    """The external part (``due_fen``) goes back first, over all the order's refunds; then the wallet."""
    external_left = max(0, order.due_fen - order.refunded_fen)
    return min(amount_fen, external_left)


def clawback(points_earned: int, refundable_fen: int, *, before: int, after: int) -> int:
    """Earned points taken back in proportion to the money refunded, cumulatively: the points due at
    ``after`` fen refunded less those due at ``before``, each floor(points × refunded / refundable). The
    parts telescope, so however a refund is split the claw-backs add up to exactly ``points_earned`` once
    all is refunded, and never lose a point to rounding. An order paid nothing in money takes all back."""
    if refundable_fen == 0:  # its one refund (of 0 fen) is the full one
        return points_earned
    return points_earned * after // refundable_fen - points_earned * before // refundable_fen


def points_taken(wanted: int, available: int) -> tuple[int, int]:
    """A claw-back of ``wanted`` points from ``available`` ones: (taken, shortfall). Never below zero."""
    taken = max(0, min(wanted, available))
    return taken, wanted - taken
