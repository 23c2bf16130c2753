"""A settled charge order read back by its order_no: the stored settlement body and its refund state."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from evperks.db.tables import charge_order_refunds, charge_orders
from evperks.services.context import Context
from evperks.services.errors import NotFound
from evperks.services.settlement.results import SettledOrder

_ORDER = select(charge_orders.c.result, charge_orders.c.status, charge_orders.c.refunded_fen).where(
    charge_orders.c.order_no == bindparam("order_no")
)


def get_order(ctx: Context, order_no: str) -> SettledOrder:
    """The body the settlement answered, plus ``status``, ``refunded_fen`` and ``refunds``."""
    with ctx.db.read() as conn:
        row = conn.execute(_ORDER, {"order_no": order_no}).first()
        if row is None:
            raise NotFound("charge order %(order_no)r does not exist", code="order.not_found", order_no=order_no)
        refunds = _refunds_of(conn, order_no)
    return SettledOrder(**row.result, status=row.status, refunded_fen=row.refunded_fen, refunds=refunds)


def _refunds_of(conn: Connection, order_no: str) -> list[dict]:
    """The order's refunds, oldest first: each one's answer, with its reason, who made it and when."""
    r = charge_order_refunds.c
    rows = conn.execute(select(r.result, r.reason, r.created_by, r.created_at).where(r.order_no == order_no)
                        .order_by(r.created_at, r.refund_no))
    return [{**row.result, "reason": row.reason, "created_by": row.created_by, "created_at": row.created_at}
            for row in rows]
