"""The breakdown of a charge order's bill as the settlement steps fill it in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Breakdown:
    """Money in fen, points as integers. Each settlement step reduces what is left to pay."""

    total_fen: int
    voucher_id: int | None = None
    voucher_deduction_fen: int = 0
    points_used: int = 0
    points_deduction_fen: int = 0
    wallet_paid_fen: int = 0
    points_earned: int = 0

    @property
    def after_discounts_fen(self) -> int:
        """What the member actually pays (wallet and cash): the total less voucher and points."""
        return self.total_fen - self.voucher_deduction_fen - self.points_deduction_fen

    @property
    def due_fen(self) -> int:
        """What the platform still has to collect after the wallet paid its part."""
        return self.after_discounts_fen - self.wallet_paid_fen


def order_status(*, paid_fen: int, refunded_fen: int) -> str:
    """A settled order's state as refunds give money back: ``settled`` until something is refunded,
    ``refunded`` once all the member paid (wallet and cash) is back."""
    if refunded_fen <= 0:
        return "settled"
    return "partially_refunded" if refunded_fen < paid_fen else "refunded"
