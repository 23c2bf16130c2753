"""The points ledger and lots: granting, spending (soonest expiry first), member views, reconciliation.

Every change is one append-only ledger row with the balance after it; every grant is a lot. The member's
``points_balance`` is a cache changed only by guarded UPDATEs in the same transaction, so it always
equals the sum of the lots' ``remaining`` and the sum of the ledger.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, insert, or_, select, update

from evperks.db.tables import members
from evperks.db.tables_points import points_ledger, points_lots
from evperks.domain.points_expiry import Rule, expires_at
from evperks.domain.timecal import local_date, local_midnight_after
from evperks.services import audit
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid, NotFound
from evperks.services.lookups import lock_member, require_member
from evperks.services.pagination import newest_first
from evperks.services.points import settings as points_settings_service

L = points_lots.c


def grant(
    conn: Connection,
    ctx: Context,
    *,
    member_id: str,
    points: int,
    rule: Rule,
    granted_at: datetime,
    now: datetime,
    kind: str,
    ref: str | None = None,
    reason: str | None = None,
    created_by: str | None = None,
) -> list[dict]:
    """A new lot and its ledger row; a historical grant already past its expiry is expired at once."""
    assert points > 0
    expiry = expires_at(rule, granted_at, ctx.zone)
    balance = _change_balance(conn, member_id, points)
    lot_id = conn.execute(
        insert(points_lots).values(
            member_id=member_id, points=points, remaining=points, granted_at=granted_at,
            granted_on=local_date(granted_at, ctx.zone), expires_at=expiry, source=kind, ref=ref,
        )
    ).inserted_primary_key[0]
    rows = [_ledger(conn, member_id=member_id, points=points, balance_after=balance, kind=kind, ref=ref,
                    reason=reason, lot_id=lot_id, expires_at=expiry, created_by=created_by, now=now)]
    if expiry is not None and expiry <= now:
        conn.execute(update(points_lots).where(L.id == lot_id).values(remaining=0))
        balance = _change_balance(conn, member_id, -points)
        rows.append(_ledger(conn, member_id=member_id, points=-points, balance_after=balance, kind="expire",
                            ref=str(lot_id), reason="expired at import", lot_id=lot_id, expires_at=expiry,
                            created_by=created_by, now=now))
    return rows


def spendable_points(conn: Connection, member_id: str, *, valid_after: datetime) -> int:
    """Points in lots that are still valid at ``valid_after`` (lapsed lots wait for the expiry job)."""
    return int(conn.execute(
        select(func.coalesce(func.sum(L.remaining), 0)).where(
            L.member_id == member_id, L.remaining > 0, or_(L.expires_at.is_(None), L.expires_at > valid_after)
        )
    ).scalar_one())


def spend(
    conn: Connection,
    *,
    member_id: str,
    points: int,
    valid_after: datetime,
    now: datetime,
    kind: str,
    ref: str | None = None,
    reason: str | None = None,
    created_by: str | None = None,
) -> dict:
    """Take ``points`` from the lots that expire first (never-expiring last), then oldest first.
    The caller holds the member's lock."""
    assert points > 0
    lots = conn.execute(
        select(L.id, L.remaining)
        .where(L.member_id == member_id, L.remaining > 0, or_(L.expires_at.is_(None), L.expires_at > valid_after))
        .order_by(L.expires_at.asc().nulls_last(), L.granted_at, L.id)
        .with_for_update()
    ).all()
    if sum(lot.remaining for lot in lots) < points:
        raise Conflict("the member does not have that many valid points", field="points", code="points.not_enough")
    left = points
    for lot in lots:
        take = min(left, lot.remaining)
        taken = conn.execute(
            update(points_lots).where(L.id == lot.id, L.remaining >= take).values(remaining=L.remaining - take)
        ).rowcount
        if taken != 1:  # impossible under the member lock; never let a lot go negative regardless
            raise Conflict("the member's points changed meanwhile", field="points", code="points.changed_meanwhile")
        left -= take
        if left == 0:
            break
    balance = _change_balance(conn, member_id, -points)
    return _ledger(conn, member_id=member_id, points=-points, balance_after=balance, kind=kind, ref=ref,
                   reason=reason, lot_id=None, expires_at=None, created_by=created_by, now=now)


def _change_balance(conn: Connection, member_id: str, delta: int) -> int:
    m = members.c
    balance = conn.execute(
        update(members)
        .where(m.id == member_id, m.points_balance + delta >= 0)
        .values(points_balance=m.points_balance + delta)
        .returning(m.points_balance)
    ).scalar_one_or_none()
    if balance is None:
        if conn.execute(select(m.id).where(m.id == member_id)).first() is None:
            raise NotFound("member %(id)r does not exist", code="member.not_found", id=member_id)
        raise Conflict("the points balance may not go negative", field="points", code="points.balance_negative")
    return balance


def _ledger(conn: Connection, *, now: datetime, **values) -> dict:
    row_id = conn.execute(insert(points_ledger).values(created_at=now, **values)).inserted_primary_key[0]
    return _item({**values, "id": row_id, "created_at": now})


def _item(row) -> dict:
    get = row.get if isinstance(row, dict) else row._mapping.get
    return {
        "id": get("id"),
        "points": get("points"),
        "balance_after": get("balance_after"),
        "kind": get("kind"),
        "reason": get("reason"),
        "ref": get("ref"),
        "created_at": get("created_at"),
        "expires_at": get("expires_at"),
    }


# --- services ----------------------------------------------------------------------------------

def adjust(
    ctx: Context, *, member_id: str, points: int, reason: str, granted_at: datetime | None = None,
    actor: str = "system",
) -> dict:
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
            rule = points_settings_service.rule_in_force(points_settings_service.load(conn), now)
            entries = grant(conn, ctx, member_id=member_id, points=points, rule=rule, granted_at=granted_at or now,
                            now=now, kind="grant", reason=reason, created_by=actor)
        else:
            entries = [spend(conn, member_id=member_id, points=-points, valid_after=now, now=now, kind="deduct",
                             reason=reason, created_by=actor)]
        result = {"member_id": member_id, "balance": entries[-1]["balance_after"], "entries": entries}
        audit.record(conn, actor=actor, action="adjust_points", target_type="member", target_id=member_id,
                     before={"balance": result["balance"] - points},
                     after={"balance": result["balance"], "points": points, "reason": reason}, at=now)
        return result


def member_points(ctx: Context, member_id: str) -> dict:
    """Balance, the lots holding points (soonest expiry first) and what expires within the reminder window."""
    now = ctx.clock.now()
    with ctx.db.read() as conn:
        balance = conn.execute(select(members.c.points_balance).where(members.c.id == member_id)).scalar_one_or_none()
        if balance is None:
            raise NotFound("member %(id)r does not exist", code="member.not_found", id=member_id)
        reminder_days = points_settings_service.load(conn).reminder_days
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
    return {
        "member_id": member_id,
        "balance": balance,
        "lots": [{str(k): v for k, v in lot._asdict().items()} for lot in lots],
        "expiring_soon": [{"expires_at": at, "points": p} for at, p in sorted(soon.items())],
    }


def list_ledger(ctx: Context, *, member_id: str, limit: int = 50, cursor: str | None = None) -> dict:
    with ctx.db.read() as conn:
        require_member(conn, member_id)
        query = select(points_ledger).where(points_ledger.c.member_id == member_id)
        rows, next_cursor = newest_first(conn, query, points_ledger.c.id, limit=limit, cursor=cursor)
    return {"items": [_item(r) for r in rows], "next_cursor": next_cursor}


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

