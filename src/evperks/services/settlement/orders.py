"""A settled charge order read back by its order_no: the stored settlement body and its refund state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, select

from evperks.db.tables import charge_order_refunds, charge_orders
from evperks.services.context import Context
from evperks.services.errors import NotFound
from evperks.services.lookups import require_member
from evperks.services.pagination import Page, after_desc, decode_cursor, page
from evperks.services.settlement.results import OrderLine, SettledOrder

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


def member_orders(ctx: Context, *, member_id: str, limit: int = 20, cursor: str | None = None) -> Page[OrderLine]:
    """The member's settled orders, newest first, with their refund state."""
    o = charge_orders.c
    keys = [o.settled_at, o.order_no]
    stmt = select(o.order_no, o.station_id, o.end_time, o.energy_wh, o.total_fen,
                  (o.wallet_paid_fen + o.due_fen).label("paid_fen"), o.refunded_fen, o.status, o.settled_at
                  ).where(o.member_id == member_id)
    if cursor:
        stmt = stmt.where(after_desc(keys, decode_cursor(cursor, (datetime, str))))
    with ctx.db.read() as conn:
        require_member(conn, member_id)
        rows = conn.execute(stmt.order_by(*(k.desc() for k in keys)).limit(limit + 1)).all()
    rows, next_cursor = page(rows, limit, lambda r: [r.settled_at, r.order_no])
    return Page([OrderLine(**r._mapping) for r in rows], next_cursor)


def member_refunds(ctx: Context, *, member_id: str, limit: int = 20) -> list[dict]:
    """The member's newest refunds of charge orders (the H5's balance page shows them)."""
    r = charge_order_refunds.c
    with ctx.db.read() as conn:
        rows = conn.execute(select(r.result, r.created_at).where(r.member_id == member_id)
                            .order_by(r.created_at.desc(), r.refund_no.desc()).limit(limit))
        return [{**row.result, "created_at": row.created_at} for row in rows]
