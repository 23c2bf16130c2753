"""``evperks check`` for refunds of charge orders: each order's refunded money is the sum of its refunds
and never more than it was paid, its status follows, and every wallet part was credited exactly once."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from evperks.db.tables import charge_order_refunds, charge_orders
from evperks.db.tables_wallet import wallet_ledger
from evperks.services.context import Context


def reconcile_refunds(ctx: Context) -> list[str]:
    """Every way the orders' refunds disagree with themselves or the wallet ledger; empty when all agree."""
    o, r, wl = charge_orders.c, charge_order_refunds.c, wallet_ledger.c
    sums = select(r.order_no, func.sum(r.amount_fen).label("total")).group_by(r.order_no).subquery()
    total = func.coalesce(sums.c.total, 0)
    paid = o.wallet_paid_fen + o.due_fen
    orders = (
        select(o.order_no, o.refunded_fen, o.status, paid.label("paid"), total.label("total"))
        .select_from(charge_orders.outerjoin(sums, sums.c.order_no == o.order_no))
        .where(or_(o.refunded_fen != total, o.refunded_fen > paid,
                   and_(o.status == "refunded", o.refunded_fen != paid),
                   and_(o.status == "settled", o.refunded_fen != 0)))
        .order_by(o.order_no)
    )
    credits = (
        select(r.refund_no, r.wallet_fen, r.member_id, wl.amount_fen, wl.member_id.label("credited_member"))
        .select_from(charge_order_refunds.outerjoin(wallet_ledger, and_(wl.kind == "order_refund", wl.ref == r.refund_no)))
        .where(or_(and_(r.wallet_fen > 0, wl.id.is_(None)), wl.amount_fen != r.wallet_fen, wl.member_id != r.member_id))
    )
    stray = (
        select(wl.ref).select_from(wallet_ledger.outerjoin(charge_order_refunds, r.refund_no == wl.ref))
        .where(wl.kind == "order_refund", r.refund_no.is_(None))
    )
    problems: list[str] = []
    with ctx.db.read() as conn:
        for row in conn.execute(orders):
            problems.append(f"order {row.order_no}: refunded_fen {row.refunded_fen} ({row.status}), refunds sum to "
                            f"{row.total}, paid in money {row.paid}")
        for row in conn.execute(credits):
            problems.append(f"refund {row.refund_no}: wallet part {row.wallet_fen} fen but credited {row.amount_fen}")
        for row in conn.execute(stray):
            problems.append(f"wallet ledger: order_refund {row.ref} has no refund")
    return problems
