"""The points settings as stored, and applying an expiry rule change that came due: in-transaction
store functions (each takes the caller's open connection and never opens a transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, select, update

from evperks.db.tables_points import points_lots, points_settings
from evperks.domain.points import EarningRule, RedemptionRule
from evperks.domain.points_expiry import Never, Rule, expiry_date, rule_from_dict, rule_to_dict
from evperks.domain.timecal import start_of_local_day
from evperks.services.context import Context
from evperks.services.points.expiry_store import expire_lots, lock_members_holding_points
from evperks.services.points.results import RuleApplied

L = points_lots.c
DEFAULT_EARNING = {"per_yuan_paid": "0", "per_kwh": "0"}
DEFAULT_REDEMPTION = {
    "enabled": False,
    "points_per_yuan": 100,
    "base": "total",
    "station_ids": [],
    "min_points": 0,
    "max_points": None,
    "max_share_percent": 100,
    "combine_with_voucher": True,
}
DEFAULT_REMINDER_DAYS = 7


@dataclass(frozen=True)
class PointsSettings:
    earning: EarningRule
    redemption: RedemptionRule
    expiry: Rule
    pending_expiry: Rule | None
    pending_effective_at: datetime | None
    reminder_days: int


_SETTINGS = select(points_settings)  # built once: read by every settlement


def load_settings(conn: Connection) -> PointsSettings:
    """The saved settings, or the defaults when never saved."""
    row = conn.execute(_SETTINGS).first()
    if row is None:
        return PointsSettings(
            _earning(DEFAULT_EARNING), _redemption(DEFAULT_REDEMPTION), Never(), None, None, DEFAULT_REMINDER_DAYS
        )
    return PointsSettings(
        earning=_earning(row.earning),
        redemption=_redemption(row.redemption),
        expiry=rule_from_dict(row.expiry_rule),
        pending_expiry=rule_from_dict(row.pending_rule) if row.pending_rule else None,
        pending_effective_at=row.pending_effective_at,
        reminder_days=row.reminder_days,
    )


def rule_in_force(s: PointsSettings, now: datetime) -> Rule:
    """The rule new grants get: a pending change counts from its effective instant on, even before
    the midnight job has applied it to the older lots."""
    if s.pending_expiry is not None and s.pending_effective_at <= now:
        return s.pending_expiry
    return s.expiry


def _earning(data: dict) -> EarningRule:
    return EarningRule(per_yuan_paid=Decimal(str(data["per_yuan_paid"])), per_kwh=Decimal(str(data["per_kwh"])))


def _redemption(data: dict) -> RedemptionRule:
    return RedemptionRule(**{**data, "station_ids": frozenset(data["station_ids"])})


def apply_due_rule(conn: Connection, ctx: Context, *, now: datetime) -> RuleApplied | None:
    """If a saved rule change has come due, recompute every holding lot's expiry under it and clear
    the lots whose new expiry is at or before the moment it took effect. None when nothing was due."""
    s = load_settings(conn)
    if s.pending_expiry is None or s.pending_effective_at > now:
        return None
    lock_members_holding_points(conn)
    recomputed = _recompute_expiries(conn, ctx, s.pending_expiry)
    conn.execute(
        update(points_settings)
        .where(points_settings.c.id == 1)
        .values(expiry_rule=rule_to_dict(s.pending_expiry), pending_rule=None, pending_effective_at=None)
    )
    expired = expire_lots(conn, cutoff=s.pending_effective_at, now=now)
    return RuleApplied(rule=rule_to_dict(s.pending_expiry), effective_at=s.pending_effective_at.isoformat(),
                       recomputed_lots=recomputed, expired_lots=expired.expired_lots,
                       expired_points=expired.expired_points)


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
