"""Points settings: earning, redemption, the expiry rule (a change waits for the next local 00:00)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from evperks.db.tables import stations
from evperks.db.tables_points import points_settings
from evperks.db.upsert import insert_for
from evperks.domain.points import EarningRule, RedemptionRule
from evperks.domain.points_expiry import InvalidRule, Never, Rule, rule_from_dict, rule_to_dict
from evperks.domain.timecal import local_midnight_after
from evperks.services import audit
from evperks.services.context import Context
from evperks.services.errors import Invalid, Reason

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


def load(conn: Connection) -> PointsSettings:
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


def get_settings(ctx: Context) -> dict:
    with ctx.db.read() as conn:
        return as_dict(load(conn))


def put_settings(
    ctx: Context,
    *,
    earning: dict | None = None,
    redemption: dict | None = None,
    expiry: dict | None = None,
    reminder_days: int | None = None,
    actor: str = "system",
) -> dict:
    """Save the sections given (an omitted section stays as it is). Earning, redemption and reminders
    apply at once; an expiry change waits for the next local 00:00 — saving again the same day replaces
    the pending change, saving the rule in force cancels it."""
    from evperks.services.points.expiry import apply_due_rule  # noqa: PLC0415 - avoid an import cycle

    new_rule = None
    if expiry is not None:
        try:
            new_rule = rule_from_dict(expiry)
        except InvalidRule as exc:
            reason = Reason(f"expiry.{exc.field}", exc.reason.code, exc.reason.message, exc.reason.params)
            raise Invalid.fields([reason], reason.message, code=reason.code) from exc
    if reminder_days is not None and not 0 <= reminder_days <= 365:
        raise Invalid("must be from 0 to 365", field="reminder_days", code="points.reminder_days_range")
    if redemption is not None:
        redemption = {**DEFAULT_REDEMPTION, **redemption}
        if redemption["max_points"] is not None and redemption["max_points"] < redemption["min_points"]:
            raise Invalid("must not be below min_points", field="redemption.max_points", code="points.max_below_min")
    apply_due_rule(ctx)  # a change that came due but was not yet applied is the rule in force now
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        current = load(conn)
        values = {"updated_at": now}
        if earning is not None:
            merged = {**DEFAULT_EARNING, **earning}
            values["earning"] = {k: format(Decimal(str(v)).normalize(), "f") for k, v in merged.items()}
        if redemption is not None:
            _check_stations(conn, redemption["station_ids"])
            values["redemption"] = {**redemption, "station_ids": sorted(set(redemption["station_ids"]))}
        if new_rule is not None:
            changed = new_rule != current.expiry
            values["pending_rule"] = rule_to_dict(new_rule) if changed else None
            values["pending_effective_at"] = local_midnight_after(now, ctx.zone, 1) if changed else None
        if reminder_days is not None:
            values["reminder_days"] = reminder_days
        defaults = {
            "earning": DEFAULT_EARNING, "redemption": DEFAULT_REDEMPTION, "expiry_rule": rule_to_dict(current.expiry),
            "reminder_days": DEFAULT_REMINDER_DAYS,
        }
        stmt = insert_for(conn, points_settings).values(id=1, **{**defaults, **values})
        conn.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))
        after = as_dict(load(conn))
        audit.record(conn, actor=actor, action="update", target_type="points_settings", target_id=1,
                     before=as_dict(current), after=after, at=now)
        return after


def as_dict(s: PointsSettings) -> dict:
    r = s.redemption
    return {
        "earning": {"per_yuan_paid": _number(s.earning.per_yuan_paid), "per_kwh": _number(s.earning.per_kwh)},
        "redemption": {
            "enabled": r.enabled,
            "points_per_yuan": r.points_per_yuan,
            "base": r.base,
            "station_ids": sorted(r.station_ids),
            "min_points": r.min_points,
            "max_points": r.max_points,
            "max_share_percent": r.max_share_percent,
            "combine_with_voucher": r.combine_with_voucher,
        },
        "expiry": rule_to_dict(s.expiry),
        "pending_expiry": rule_to_dict(s.pending_expiry) if s.pending_expiry else None,
        "pending_effective_at": s.pending_effective_at,
        "reminder_days": s.reminder_days,
    }


def _number(value: Decimal) -> int | float:
    """A rate for display: an integer when whole, else the float whose shortest repr is the decimal
    (rates have at most 4 decimals; the maths never sees this float)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _earning(data: dict) -> EarningRule:
    return EarningRule(per_yuan_paid=Decimal(str(data["per_yuan_paid"])), per_kwh=Decimal(str(data["per_kwh"])))


def _redemption(data: dict) -> RedemptionRule:
    return RedemptionRule(**{**data, "station_ids": frozenset(data["station_ids"])})


def _check_stations(conn: Connection, station_ids: list[str]) -> None:
    if not station_ids:
        return
    known = set(conn.execute(select(stations.c.id).where(stations.c.id.in_(station_ids))).scalars())
    missing = sorted(set(station_ids) - known)
    if missing:
        raise Invalid("unknown station(s): %(ids)s", field="redemption.station_ids", code="station.unknown",
                      ids=", ".join(missing))
