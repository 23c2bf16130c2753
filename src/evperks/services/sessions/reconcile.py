"""Checking the holds: each member's held sums are those of its open sessions, and held vouchers and the
sessions holding them point at each other (for ``evperks check``)."""

from __future__ import annotations

from sqlalchemy import func, or_, select

from evperks.db.tables import charge_sessions, members, vouchers
from evperks.services.context import Context


def reconcile_holds(ctx: Context) -> list[str]:
    """Every way the holds disagree with the open sessions; empty when all is well."""
    s, m, v = charge_sessions.c, members.c, vouchers.c
    sums = (select(s.member_id, func.sum(s.wallet_held_fen).label("w"), func.sum(s.points_held).label("p"))
            .where(s.status == "open").group_by(s.member_id).subquery())
    wallet, points = func.coalesce(sums.c.w, 0), func.coalesce(sums.c.p, 0)
    problems = []
    with ctx.db.read() as conn:
        for row in conn.execute(
            select(m.id, m.wallet_held_fen, m.points_held, wallet.label("w"), points.label("p"))
            .outerjoin(sums, sums.c.member_id == m.id)
            .where(or_(m.wallet_held_fen != wallet, m.points_held != points)).order_by(m.id)
        ):
            problems.append(f"member {row.id}: holds {row.wallet_held_fen} fen and {row.points_held} points, "
                            f"its open sessions {row.w} fen and {row.p} points")
        held = dict(conn.execute(select(v.id, v.held_by_session).where(v.held_by_session.is_not(None))).all())
        holding = dict(conn.execute(select(s.voucher_id, s.session_id)
                                    .where(s.status == "open", s.voucher_id.is_not(None))).all())
    for voucher_id in sorted(set(held) | set(holding)):
        if held.get(voucher_id) != holding.get(voucher_id):
            problems.append(f"voucher {voucher_id}: held by {held.get(voucher_id)!r}, "
                            f"open session holding it {holding.get(voucher_id)!r}")
    return problems
