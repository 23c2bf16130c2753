"""Campaign statistics, derived from rows in one statement (one snapshot, on every engine)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import case, distinct, func, select

from evperks.db.tables import campaign_packages, campaign_progress, campaigns, charge_orders, vouchers
from evperks.domain.timecal import local_date, start_of_local_day
from evperks.domain.vouchers import VoucherStatus
from evperks.services.campaigns import store
from evperks.services.campaigns.types import CAMPAIGN_TYPES
from evperks.services.context import Context
from evperks.services.results import Result, result


@result
class CampaignStats(Result):
    packages_given: int
    packages_left: int | None
    vouchers_issued: int
    vouchers_used: int
    deduction_fen: int
    participants: int
    status: str
    ended_reason: str | None


def campaign_stats(ctx: Context, campaign_id: int) -> CampaignStats:
    """``participants`` are the members given a package; for a type whose members accumulate towards
    tiers (consumption), the members with progress (whose orders counted, rewarded or not)."""
    c, p, v = campaigns.c, campaign_packages.c, vouchers.c
    # A package a refund revoked went back to the budget: it is not counted as given.
    given = (p.campaign_id == c.id, p.revoked_at.is_(None))
    packages = select(func.count()).select_from(campaign_packages).where(*given).scalar_subquery()
    rewarded = select(func.count(distinct(p.member_id))).where(*given).scalar_subquery()
    progressing = (select(func.count()).select_from(campaign_progress)
                   .where(campaign_progress.c.campaign_id == c.id).scalar_subquery())
    issued = select(func.count()).select_from(vouchers).where(v.campaign_id == c.id).scalar_subquery()
    used = select(func.count()).select_from(vouchers).where(v.campaign_id == c.id, v.status == VoucherStatus.USED).scalar_subquery()
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
        raise store.not_found(campaign_id)
    return CampaignStats(
        packages_given=row.packages,
        packages_left=None if row.total_packages is None else row.total_packages - row.packages,
        vouchers_issued=row.issued,
        vouchers_used=row.used,
        deduction_fen=int(row.deduction),
        participants=row.progressing if CAMPAIGN_TYPES[row.type].ACCUMULATES else row.rewarded,
        status=row.status,
        ended_reason=row.ended_reason,
    )


def packages_given_per_day(ctx: Context, campaign_id: int, *, days: int = 30) -> list[tuple[date, int]]:
    """Packages given per local calendar day, from the campaign's first day to today (or its last day),
    at most the last ``days`` of them; a day with none given counts 0. Empty before the campaign starts.

    The day of each package is found by comparing ``created_at`` with each local midnight (as UTC), so
    the grouping is exact in any zone, daylight saving included, and the same on every engine."""
    c, p = campaigns.c, campaign_packages.c
    now = ctx.clock.now()
    with ctx.db.read() as conn:
        row = conn.execute(select(c.start_at, c.end_at, c.ended_at).where(c.id == campaign_id)).first()
        if row is None:
            raise store.not_found(campaign_id)
        shown = _days_shown(row.start_at, row.ended_at or row.end_at, now, ctx.zone, days)
        if not shown:
            return []
        midnights = [start_of_local_day(day, ctx.zone) for day in [*shown, shown[-1] + timedelta(days=1)]]
        day_index = case(*((p.created_at < midnight, i) for i, midnight in enumerate(midnights[1:])))
        given = (
            select(day_index.label("day"))
            .where(p.campaign_id == campaign_id, p.created_at >= midnights[0], p.created_at < midnights[-1])
            .subquery()
        )
        counts = dict(conn.execute(select(given.c.day, func.count()).group_by(given.c.day)).all())
    return [(day, counts.get(i, 0)) for i, day in enumerate(shown)]


def _days_shown(start_at: datetime | None, end_at: datetime | None, now: datetime, zone, limit: int) -> list[date]:
    if start_at is None or start_at > now:
        return []
    last_instant = min(now, end_at - timedelta(microseconds=1)) if end_at is not None else now
    last = local_date(last_instant, zone)
    first = max(local_date(start_at, zone), last - timedelta(days=limit - 1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
