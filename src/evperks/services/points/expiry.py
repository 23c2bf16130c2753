"""The points midnight job: apply a rule change that came due, clear expired lots, remind members.
Each is one use case with its own transaction; what they do to the data is in ``points.expiry_store`` and
``points.settings_store``."""

from __future__ import annotations

from sqlalchemy import exists, func, select, update

from evperks.db.tables_points import points_lots
from evperks.domain.timecal import local_midnight_after
from evperks.services.context import Context
from evperks.services.messages_store import post_messages
from evperks.services.points import settings_store
from evperks.services.points.expiry_store import expire_lots
from evperks.services.points.results import Expired, MidnightRun, Reminded, RuleApplied
from evperks.services.points.settings_store import load_settings

L = points_lots.c


def expire_points(ctx: Context) -> Expired:
    """Clear everything expired by now (a late run catches up on every instant it missed)."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        return expire_lots(conn, cutoff=now, now=now)


def apply_due_rule(ctx: Context) -> RuleApplied | None:
    """A saved rule change that has come due, applied (``settings_store.apply_due_rule``); None when none was."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        return settings_store.apply_due_rule(conn, ctx, now=now)


def remind(ctx: Context) -> Reminded:
    """Tell each member, once per expiry instant, about points expiring within ``reminder_days``."""
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        days = load_settings(conn).reminder_days
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
        return Reminded(reminded_members=told)


def run_midnight(ctx: Context) -> MidnightRun:
    """The periodic job at every local 00:00: a due rule change first, then expiry, then reminders."""
    applied = apply_due_rule(ctx)
    expired = expire_points(ctx)
    reminded = remind(ctx)
    return MidnightRun(
        rule_applied=applied.rule if applied else None,
        expired_lots=expired.expired_lots + (applied.expired_lots if applied else 0),
        expired_points=expired.expired_points + (applied.expired_points if applied else 0),
        reminded_members=reminded.reminded_members,
    )

