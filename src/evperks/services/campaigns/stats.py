"""Campaign statistics, derived from rows in one statement (one snapshot, on every engine)."""

from __future__ import annotations

from sqlalchemy import distinct, func, select

from evperks.db.tables import campaign_packages, campaign_progress, campaigns, charge_orders, vouchers
from evperks.services.context import Context
from evperks.services.errors import NotFound


def campaign_stats(ctx: Context, campaign_id: int) -> dict:
    """``participants`` are the members given a package; for consumption campaigns, the members
    with progress (whose orders counted towards a tier, rewarded or not)."""
    c, p, v = campaigns.c, campaign_packages.c, vouchers.c
    packages = select(func.count()).select_from(campaign_packages).where(p.campaign_id == c.id).scalar_subquery()
    rewarded = select(func.count(distinct(p.member_id))).where(p.campaign_id == c.id).scalar_subquery()
    progressing = (select(func.count()).select_from(campaign_progress)
                   .where(campaign_progress.c.campaign_id == c.id).scalar_subquery())
    issued = select(func.count()).select_from(vouchers).where(v.campaign_id == c.id).scalar_subquery()
    used = select(func.count()).select_from(vouchers).where(v.campaign_id == c.id, v.status == "used").scalar_subquery()
    deduction = (
        select(func.coalesce(func.sum(charge_orders.c.voucher_deduction_fen), 0))
        .select_from(charge_orders.join(vouchers, charge_orders.c.voucher_id == v.id))
        .where(v.campaign_id == c.id)
        .scalar_subquery()
    )
    stmt = select(c.type, c.status, c.ended_reason, c.total_packages, packages.label("packages"),
                  rewarded.label("rewarded"), progressing.label("progressing"), issued.label("issued"),
                  used.label("used"), deduction.label("deduction")).where(c.id == campaign_id)
    with ctx.db.read() as conn:
        row = conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"campaign {campaign_id} does not exist")
    return {
        "packages_given": row.packages,
        "packages_left": None if row.total_packages is None else row.total_packages - row.packages,
        "vouchers_issued": row.issued,
        "vouchers_used": row.used,
        "deduction_fen": int(row.deduction),
        "participants": row.progressing if row.type == "consumption" else row.rewarded,
        "status": row.status,
        "ended_reason": row.ended_reason,
    }
