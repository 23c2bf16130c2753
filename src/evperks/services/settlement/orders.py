"""A settled charge order read back by its order_no: the stored settlement body and its refund state."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from evperks.db.tables import charge_orders
from evperks.domain.checkout import order_status
from evperks.services.context import Context
from evperks.services.errors import NotFound
from evperks.services.settlement.results import SettledOrder

_ORDER = select(charge_orders.c.result, charge_orders.c.wallet_paid_fen, charge_orders.c.due_fen).where(
    charge_orders.c.order_no == bindparam("order_no")
)


def get_order(ctx: Context, order_no: str) -> SettledOrder:
    """The body the settlement answered, plus ``status``, ``refunded_fen`` and ``refunds``."""
    with ctx.db.read() as conn:
        row = conn.execute(_ORDER, {"order_no": order_no}).first()
        if row is None:
            raise NotFound("charge order %(order_no)r does not exist", code="order.not_found", order_no=order_no)
        refunds = _refunds_of(conn, order_no)
    refunded_fen = sum(refund["amount_fen"] for refund in refunds)
    status = order_status(paid_fen=row.wallet_paid_fen + row.due_fen, refunded_fen=refunded_fen)
    return SettledOrder(**row.result, status=status, refunded_fen=refunded_fen, refunds=refunds)


def _refunds_of(conn: Connection, order_no: str) -> list[dict]:
    """The order's refunds, oldest first. Charge-order refunds (``POST /charge-orders/{order_no}/refunds``)
    do not exist yet, so no order has any: the refunds work adds their table and reads it here."""
    return []
