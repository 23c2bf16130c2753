"""Points use cases: manual grants and deductions, the member's points and ledger, reconciliation
(granting and spending, soonest expiry first, are the store's: ``points.store``).

Every change is one append-only ledger row with the balance after it; every grant is a lot. The member's
``points_balance`` is a cache changed only by guarded UPDATEs in the same transaction, so it always
equals the sum of the lots' ``remaining`` and the sum of the ledger.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from evperks.db.tables import members
from evperks.db.tables_points import points_ledger, points_lots
from evperks.domain.timecal import local_midnight_after
from evperks.services import audit_store
from evperks.services.context import Context
from evperks.services.errors import Invalid, NotFound
from evperks.services.lookups import lock_member, require_member
from evperks.services.pagination import newest_first
from evperks.services.points.results import Adjusted, Expiring, Lot, MemberPoints, PointsLedgerPage
from evperks.services.points.settings_store import load_settings, rule_in_force
from evperks.services.points.store import entry, grant, spend

L = points_lots.c


def adjust(
    ctx: Context, *, member_id: str, points: int, reason: str, granted_at: datetime | None = None,
    actor: str = "system",
) -> Adjusted:
    """Manual grant (points > 0, optionally dated in the past) or deduction (points < 0, taken like
    spending; more than the member's valid points is a conflict)."""
    now = ctx.clock.now()
    if points == 0:
        raise Invalid("must not be zero", field="points", code="points.zero")
    if granted_at is not None and granted_at > now:
        raise Invalid("may not lie in the future", field="granted_at", code="time.in_future")
    if granted_at is not None and points < 0:
        raise Invalid("only a grant (points > 0) has a grant time", field="granted_at",
                      code="points.grant_time_without_grant")
    with ctx.db.write() as conn:
        lock_member(conn, member_id)
        if points > 0:
            rule = rule_in_force(load_settings(conn), now)
            entries = grant(conn, ctx, member_id=member_id, points=points, rule=rule, granted_at=granted_at or now,
                            now=now, kind="grant", reason=reason, created_by=actor)
        else:
            entries = [spend(conn, member_id=member_id, points=-points, valid_after=now, now=now, kind="deduct",
                             reason=reason, created_by=actor)]
        result = Adjusted(member_id=member_id, balance=entries[-1].balance_after, entries=entries)
        audit_store.record(conn, actor=actor, action="adjust_points", target_type="member", target_id=member_id,
                     before={"balance": result.balance - points},
                     after={"balance": result.balance, "points": points, "reason": reason}, at=now)
        return result


def member_points(ctx: Context, member_id: str) -> MemberPoints:
    """Balance, the lots holding points (soonest expiry first) and what expires within the reminder window."""
    now = ctx.clock.now()
    with ctx.db.read() as conn:
        balance = conn.execute(select(members.c.points_balance).where(members.c.id == member_id)).scalar_one_or_none()
        if balance is None:
            raise NotFound("member %(id)r does not exist", code="member.not_found", id=member_id)
        reminder_days = load_settings(conn).reminder_days
        lots = conn.execute(
            select(L.id, L.points, L.remaining, L.granted_at, L.expires_at)
            .where(L.member_id == member_id, L.remaining > 0)
            .order_by(L.expires_at.asc().nulls_last(), L.granted_at, L.id)
        ).all()
    horizon = local_midnight_after(now, ctx.zone, reminder_days)
    soon: dict[datetime, int] = {}
    for lot in lots:
        if lot.expires_at is not None and lot.expires_at <= horizon:
            soon[lot.expires_at] = soon.get(lot.expires_at, 0) + lot.remaining
    return MemberPoints(
        member_id=member_id,
        balance=balance,
        lots=[Lot(id=lot.id, points=lot.points, remaining=lot.remaining, granted_at=lot.granted_at,
                  expires_at=lot.expires_at) for lot in lots],
        expiring_soon=[Expiring(expires_at=at, points=p) for at, p in sorted(soon.items())],
    )


def list_ledger(ctx: Context, *, member_id: str, limit: int = 50, cursor: str | None = None) -> PointsLedgerPage:
    with ctx.db.read() as conn:
        require_member(conn, member_id)
        query = select(points_ledger).where(points_ledger.c.member_id == member_id)
        rows, next_cursor = newest_first(conn, query, points_ledger.c.id, limit=limit, cursor=cursor)
    return PointsLedgerPage(items=[entry(r) for r in rows], next_cursor=next_cursor)


def reconcile_points(ctx: Context) -> list[str]:
    """Every member whose cached balance differs from the sum of its lots or of its ledger, and every
    ledger row whose balance_after does not follow from the one before; empty when all reconciles."""
    led = points_ledger.c
    lot_sums = select(L.member_id, func.sum(L.remaining).label("s")).group_by(L.member_id).subquery()
    ledger_sums = select(led.member_id, func.sum(led.points).label("s")).group_by(led.member_id).subquery()
    lot_total = func.coalesce(lot_sums.c.s, 0)
    ledger_total = func.coalesce(ledger_sums.c.s, 0)
    previous = func.lag(led.balance_after, 1, 0).over(partition_by=led.member_id, order_by=led.id)
    steps = select(led.id, led.member_id, led.points, led.balance_after, previous.label("before")).subquery()
    problems = []
    with ctx.db.read() as conn:
        for row in conn.execute(
            select(members.c.id, members.c.points_balance, lot_total.label("lots"), ledger_total.label("ledger"))
            .outerjoin(lot_sums, lot_sums.c.member_id == members.c.id)
            .outerjoin(ledger_sums, ledger_sums.c.member_id == members.c.id)
            .where(or_(members.c.points_balance != lot_total, members.c.points_balance != ledger_total))
            .order_by(members.c.id)
        ):
            problems.append(
                f"member {row.id}: points_balance {row.points_balance}, lots hold {row.lots}, ledger sums to {row.ledger}"
            )
        for row in conn.execute(
            select(steps).where(steps.c.before + steps.c.points != steps.c.balance_after).order_by(steps.c.id)
        ):
            problems.append(
                f"points ledger row {row.id} (member {row.member_id}): {row.before} + {row.points} != {row.balance_after}"
            )
    return problems

