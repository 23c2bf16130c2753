"""Voucher expiry: persist 'expired' on every available voucher whose validity has ended."""

from __future__ import annotations

from sqlalchemy import update

from evperks.db.tables import vouchers
from evperks.domain.vouchers import VoucherStatus
from evperks.services.context import Context


def expire_vouchers(ctx: Context) -> int:
    """Mark lapsed vouchers expired in one statement; returns how many changed.

    This only records what is already true: settlement judges validity by the order's end time and
    still accepts an 'expired' voucher for an order that ended before ``valid_until``.
    """
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        result = conn.execute(
            update(vouchers)
            .where(vouchers.c.status == VoucherStatus.AVAILABLE.value, vouchers.c.valid_until <= now)
            .values(status=VoucherStatus.EXPIRED.value)
        )
        return result.rowcount
