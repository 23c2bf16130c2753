"""Clearing expired lots, in-transaction (the caller's open connection; never a transaction of its own).

Expiry is set-based (a few statements over all lots, whatever their number) and idempotent per lot:
a lot expires once (its ``remaining`` drops to 0 and never rises) and its ledger row is keyed
(kind 'expire', ref = lot id). Lock order everywhere is member rows first, then their lots, so a
settlement spending a member's points and the expiry job never interleave on one member.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, text

from evperks.db.types import UTCDateTime
from evperks.services.points.results import Expired

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
