"""In-transaction store functions of points lots and the ledger: each takes the caller's open connection
(the caller holds the member's lock), never opens a transaction, and keeps the cached balance, the lots
and the ledger in step. Use cases (``ledger``, ``expiry``, ``settings``) take ``ctx`` and open the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, or_, select, text, update

from evperks.db.tables import members
from evperks.db.tables_points import points_ledger, points_lots
from evperks.db.types import UTCDateTime
from evperks.domain.points_expiry import Rule, expires_at
from evperks.domain.timecal import local_date
from evperks.services.context import Context
from evperks.services.errors import Conflict, NotFound
from evperks.services.points.results import Expired, PointsEntry

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
        raise Conflict("the member does not have that many valid points", field="points")
    left = points
    for lot in lots:
        take = min(left, lot.remaining)
        taken = conn.execute(
            update(points_lots).where(L.id == lot.id, L.remaining >= take).values(remaining=L.remaining - take)
        ).rowcount
        if taken != 1:  # impossible under the member lock; never let a lot go negative regardless
            raise Conflict("the member's points changed meanwhile", field="points")
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
            raise NotFound(f"member {member_id!r} does not exist")
        raise Conflict("the points balance may not go negative", field="points")
    return balance


def _ledger(conn: Connection, *, now: datetime, **values) -> PointsEntry:
    row_id = conn.execute(insert(points_ledger).values(created_at=now, **values)).inserted_primary_key[0]
    return entry({**values, "id": row_id, "created_at": now})


def entry(row) -> PointsEntry:
    """A ledger row (or the values just inserted) as answered."""
    get = row.get if isinstance(row, dict) else row._mapping.get
    return PointsEntry(id=get("id"), points=get("points"), balance_after=get("balance_after"), kind=get("kind"),
                       reason=get("reason"), ref=get("ref"), created_at=get("created_at"), expires_at=get("expires_at"))


# --- expiry: set-based (a few statements over all lots, whatever their number) and idempotent per lot:
# a lot expires once (its ``remaining`` drops to 0 and never rises) and its ledger row is keyed (kind
# 'expire', ref = lot id). Lock order everywhere is member rows first, then their lots.

_DUE = "l.expires_at <= :cutoff AND l.remaining > 0"

# A template: {where} picks the lots whose members are locked (due lots, or every lot holding points).
_LOCK_MEMBERS = """
SELECT count(*) FROM (
  SELECT m.id FROM members m
  WHERE m.id IN (SELECT l.member_id FROM points_lots l WHERE {where})
  ORDER BY m.id FOR UPDATE
) AS locked
"""
_DEBIT_MEMBERS = f"""
UPDATE members SET points_balance = points_balance - due.points
FROM (SELECT l.member_id, SUM(l.remaining) AS points FROM points_lots l WHERE {_DUE} GROUP BY l.member_id) AS due
WHERE members.id = due.member_id
"""
# Runs after the debit: a lot's balance_after is the new balance plus what the member's later lots
# (in lot id order, the order of the ledger ids) still held.
_LEDGER_ROWS = f"""
INSERT INTO points_ledger (member_id, points, balance_after, kind, reason, ref, lot_id, expires_at, created_at)
SELECT l.member_id, -l.remaining,
       m.points_balance + SUM(l.remaining) OVER (PARTITION BY l.member_id)
         - SUM(l.remaining) OVER (PARTITION BY l.member_id ORDER BY l.id ROWS UNBOUNDED PRECEDING),
       'expire', NULL, CAST(l.id AS VARCHAR(100)), l.id, l.expires_at, :now
FROM points_lots l JOIN members m ON m.id = l.member_id
WHERE {_DUE}
ORDER BY l.member_id, l.id
"""
_CLEAR_LOTS = f"UPDATE points_lots SET remaining = 0 WHERE {_DUE.replace('l.', '')}"
_COUNT_DUE = f"SELECT count(*), coalesce(sum(l.remaining), 0) FROM points_lots l WHERE {_DUE}"


def _sql(statement: str):
    binds = [bindparam(name, type_=UTCDateTime()) for name in ("cutoff", "now") if f":{name}" in statement]
    return text(statement).bindparams(*binds)


def lock_members_holding_points(conn: Connection) -> None:
    """On PostgreSQL, lock (in member id order) every member with a lot that still holds points."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(_LOCK_MEMBERS.format(where="l.remaining > 0")))


def expire_lots(conn: Connection, *, cutoff: datetime, now: datetime) -> Expired:
    """Clear every lot expiring at or before ``cutoff`` that still holds points: ledger rows, lots,
    balances, in four set-based statements. Returns how many lots and points."""
    params = {"cutoff": cutoff, "now": now}
    if conn.dialect.name == "postgresql":
        conn.execute(_sql(_LOCK_MEMBERS.format(where=_DUE)), {"cutoff": cutoff})
    lots, points = conn.execute(_sql(_COUNT_DUE), {"cutoff": cutoff}).one()
    if lots == 0:
        return Expired(expired_lots=0, expired_points=0)
    conn.execute(_sql(_DEBIT_MEMBERS), {"cutoff": cutoff})
    conn.execute(_sql(_LEDGER_ROWS), params)
    conn.execute(_sql(_CLEAR_LOTS), {"cutoff": cutoff})
    return Expired(expired_lots=lots, expired_points=int(points))
