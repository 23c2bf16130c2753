"""The points midnight job: apply a rule change that came due, clear expired lots, remind members.

Expiry is set-based (a few statements over all lots, whatever their number) and idempotent per lot:
a lot expires once (its ``remaining`` drops to 0 and never rises) and its ledger row is keyed
(kind 'expire', ref = lot id). Lock order everywhere is member rows first, then their lots, so a
settlement spending a member's points and this job never interleave on one member.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, exists, func, select, text, update

from evperks.db.tables_points import points_lots, points_settings
from evperks.db.types import UTCDateTime
from evperks.domain.points_expiry import expiry_date, rule_to_dict
from evperks.domain.timecal import local_midnight_after, start_of_local_day
from evperks.services.context import Context
from evperks.services.messages import post_messages
from evperks.services.points.settings import load

L = points_lots.c
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


def expire_lots(conn: Connection, *, cutoff: datetime, now: datetime) -> dict:
    """Clear every lot expiring at or before ``cutoff`` that still holds points: ledger rows, lots,
    balances, in four set-based statements. Returns how many lots and points."""
    params = {"cutoff": cutoff, "now": now}
    if conn.dialect.name == "postgresql":
        conn.execute(_sql(_LOCK_MEMBERS.format(where=_DUE)), {"cutoff": cutoff})
    lots, points = conn.execute(_sql(_COUNT_DUE), {"cutoff": cutoff}).one()
    if lots == 0:
        return {"expired_lots": 0, "expired_points": 0}
    conn.execute(_sql(_DEBIT_MEMBERS), {"cutoff": cutoff})
    conn.execute(_sql(_LEDGER_ROWS), params)
    conn.execute(_sql(_CLEAR_LOTS), {"cutoff": cutoff})
    return {"expired_lots": lots, "expired_points": int(points)}


def expire_points(ctx: Context) -> dict:
    """Clear everything expired by now (a late run catches up on every instant it missed)."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        return expire_lots(conn, cutoff=now, now=now)


def apply_due_rule(ctx: Context) -> dict | None:
    """If a saved rule change has come due, recompute every holding lot's expiry under it and clear
    the lots whose new expiry is at or before the moment it took effect. None when nothing was due."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        s = load(conn)
        if s.pending_expiry is None or s.pending_effective_at > now:
            return None
        if conn.dialect.name == "postgresql":
            conn.execute(text(_LOCK_MEMBERS.format(where="l.remaining > 0")))
        recomputed = _recompute_expiries(conn, ctx, s.pending_expiry)
        conn.execute(
            update(points_settings)
            .where(points_settings.c.id == 1)
            .values(expiry_rule=rule_to_dict(s.pending_expiry), pending_rule=None, pending_effective_at=None)
        )
        expired = expire_lots(conn, cutoff=s.pending_effective_at, now=now)
        return {"rule": rule_to_dict(s.pending_expiry), "effective_at": s.pending_effective_at.isoformat(),
                "recomputed_lots": recomputed, **expired}


def _recompute_expiries(conn: Connection, ctx: Context, rule) -> int:
    """One UPDATE per run of grant dates sharing an expiry (a year, a month, or a single day)."""
    dates = sorted(conn.execute(select(L.granted_on).where(L.remaining > 0).distinct()).scalars())
    ranges: list[list] = []
    for day in dates:
        due = expiry_date(rule, day)
        instant = None if due is None else start_of_local_day(due, ctx.zone)
        if ranges and ranges[-1][2] == instant:
            ranges[-1][1] = day
        else:
            ranges.append([day, day, instant])
    changed = 0
    for low, high, instant in ranges:
        changed += conn.execute(
            update(points_lots)
            .where(L.granted_on >= low, L.granted_on <= high, L.remaining > 0, L.expires_at.is_distinct_from(instant))
            .values(expires_at=instant, reminded_at=None)
        ).rowcount
    return changed


def remind(ctx: Context) -> dict:
    """Tell each member, once per expiry instant, about points expiring within ``reminder_days``."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        days = load(conn).reminder_days
        horizon = local_midnight_after(now, ctx.zone, days)
        window = (L.remaining > 0, L.expires_at > now, L.expires_at <= horizon)
        told_before = points_lots.alias("told_before")
        already_told = exists().where(
            told_before.c.member_id == L.member_id,
            told_before.c.expires_at == L.expires_at,
            told_before.c.reminded_at.is_not(None),
        )
        groups = conn.execute(
            select(L.member_id, L.expires_at, func.sum(L.remaining))
            .where(*window, L.reminded_at.is_(None), ~already_told)
            .group_by(L.member_id, L.expires_at)
            .order_by(L.member_id, L.expires_at)
        ).all()
        entries = [(member_id, {"points": int(points), "expires_at": expires.astimezone(ctx.zone).isoformat()})
                   for member_id, expires, points in groups]
        told = len(post_messages(conn, ctx, type="points_expiring", entries=entries, now=now))
        conn.execute(update(points_lots).where(*window, L.reminded_at.is_(None)).values(reminded_at=now))
        return {"reminded_members": told}


def run_midnight(ctx: Context) -> dict:
    """The periodic job at every local 00:00: a due rule change first, then expiry, then reminders."""
    applied = apply_due_rule(ctx)
    expired = expire_points(ctx)
    reminded = remind(ctx)
    if applied:
        expired = {k: expired[k] + applied[k] for k in expired}
    return {"rule_applied": applied["rule"] if applied else None, **expired, **reminded}

