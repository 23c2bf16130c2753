"""In-transaction store functions of points lots and the ledger: each takes the caller's open connection
(the caller holds the member's lock), never opens a transaction, and keeps the cached balance, the lots
and the ledger in step. Use cases (``ledger``, ``expiry``, ``settings``) take ``ctx`` and open the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, insert, or_, select, update

from evperks.db.tables import members
from evperks.db.tables_points import points_ledger, points_lots
from evperks.domain.points_expiry import Rule, expires_at
from evperks.domain.timecal import local_date
from evperks.services.context import Context
from evperks.services.errors import Conflict, NotFound
from evperks.services.points.results import PointsEntry

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
) -> list[PointsEntry]:
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
) -> PointsEntry:
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


def _ledger(conn: Connection, *, now: datetime, **values) -> PointsEntry:
    row_id = conn.execute(insert(points_ledger).values(created_at=now, **values)).inserted_primary_key[0]
    return entry({**values, "id": row_id, "created_at": now})


def entry(row) -> PointsEntry:
    """A ledger row (or the values just inserted) as answered."""
    get = row.get if isinstance(row, dict) else row._mapping.get
    return PointsEntry(id=get("id"), points=get("points"), balance_after=get("balance_after"), kind=get("kind"),
                       reason=get("reason"), ref=get("ref"), created_at=get("created_at"), expires_at=get("expires_at"))
