"""In-transaction store functions of points lots and the ledger: each takes the caller's open connection
(the caller holds the member's lock), never opens a transaction, and keeps the cached balance, the lots
and the ledger in step. Use cases (``ledger``, ``expiry``, ``settings``) take ``ctx`` and open the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, case, func, insert, or_, select, update

from evperks.db.tables import members
from evperks.db.tables_points import points_ledger, points_lot_spends, points_lots
from evperks.domain.points_expiry import Rule, expires_at
from evperks.domain.refunds import points_taken
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
    """Take ``points`` from the lots that expire first (never-expiring last), then oldest first, and
    record which lots gave them (``points_lot_spends``: a refund gives them back there). The caller holds
    the member's lock."""
    assert points > 0
    taken = _take(conn, member_id, points, valid_after=valid_after)
    balance = _change_balance(conn, member_id, -points)
    row = _ledger(conn, member_id=member_id, points=-points, balance_after=balance, kind=kind, ref=ref,
                  reason=reason, lot_id=None, expires_at=None, created_by=created_by, now=now)
    _record_spends(conn, row.id, taken)
    return row


def claw_back(conn: Connection, *, member_id: str, points: int, first_lot: int | None, valid_after: datetime,
              keep: int, now: datetime, kind: str, ref: str, reason: str | None = None) -> tuple[int, int]:
    """Take back up to ``points`` (earned points of a refunded order), the lot ``first_lot`` first, then as
    spending does, never leaving fewer than ``keep`` (what open sessions hold) nor going below zero; the
    rest is the shortfall, recorded on the ledger row. (taken, shortfall); nothing is written for 0."""
    if points <= 0:
        return 0, 0
    available = max(0, spendable_points(conn, member_id, valid_after=valid_after) - keep)
    taken, shortfall = points_taken(points, available)
    balance = _change_balance(conn, member_id, -taken)
    row = _ledger(conn, member_id=member_id, points=-taken, balance_after=balance, kind=kind, ref=ref, reason=reason,
                  lot_id=None, expires_at=None, created_by=None, now=now, shortfall=shortfall or None)
    if taken:
        _record_spends(conn, row.id, _take(conn, member_id, taken, valid_after=valid_after, first_lot=first_lot))
    return taken, shortfall


def give_back(conn: Connection, *, member_id: str, spent_by: str, spent_kind: str, now: datetime, kind: str,
              ref: str, reason: str | None = None) -> int:
    """Give the points a ledger row (``spent_kind``, ``spent_by``) took back to the lots they came from, so
    they expire as those would have; a lot whose expiry has passed gets nothing back. The points given."""
    led, sp = points_ledger.c, points_lot_spends.c
    rows = conn.execute(
        select(sp.lot_id, sp.points).select_from(points_lot_spends.join(points_ledger, led.id == sp.ledger_id))
        .join(points_lots, L.id == sp.lot_id)
        .where(led.kind == spent_kind, led.ref == spent_by, led.member_id == member_id,
               or_(L.expires_at.is_(None), L.expires_at > now))
        .order_by(sp.lot_id)
    ).all()
    given = sum(r.points for r in rows)
    if given == 0:
        return 0
    for r in rows:
        conn.execute(update(points_lots).where(L.id == r.lot_id).values(remaining=L.remaining + r.points))
    balance = _change_balance(conn, member_id, given)
    _ledger(conn, member_id=member_id, points=given, balance_after=balance, kind=kind, ref=ref, reason=reason,
            lot_id=None, expires_at=None, created_by=None, now=now)
    return given


def _take(conn: Connection, member_id: str, points: int, *, valid_after: datetime,
          first_lot: int | None = None) -> list[tuple[int, int]]:
    """Take ``points`` from the member's valid lots (``first_lot`` first, then those expiring first, then
    the oldest); ``(lot_id, points)`` per lot touched. The caller checked there are enough."""
    order = [L.expires_at.asc().nulls_last(), L.granted_at, L.id]
    if first_lot is not None:
        order.insert(0, case((L.id == first_lot, 0), else_=1))
    lots = conn.execute(
        select(L.id, L.remaining)
        .where(L.member_id == member_id, L.remaining > 0, or_(L.expires_at.is_(None), L.expires_at > valid_after))
        .order_by(*order)
        .with_for_update()
    ).all()
    if sum(lot.remaining for lot in lots) < points:
        raise Conflict("the member does not have that many valid points", field="points", code="points.not_enough")
    left, taken = points, []
    for lot in lots:
        take = min(left, lot.remaining)
        done = conn.execute(
            update(points_lots).where(L.id == lot.id, L.remaining >= take).values(remaining=L.remaining - take)
        ).rowcount
        if done != 1:  # impossible under the member lock; never let a lot go negative regardless
            raise Conflict("the member's points changed meanwhile", field="points", code="points.changed_meanwhile")
        taken.append((lot.id, take))
        left -= take
        if left == 0:
            break
    return taken


def _record_spends(conn: Connection, ledger_id: int, taken: list[tuple[int, int]]) -> None:
    if taken:
        conn.execute(insert(points_lot_spends), [{"ledger_id": ledger_id, "lot_id": lot, "points": n} for lot, n in taken])


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
