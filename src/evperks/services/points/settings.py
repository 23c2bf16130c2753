"""Points settings: earning, redemption, the expiry rule (a change waits for the next local 00:00).
The use cases are here; reading the stored settings and applying a due change are ``settings_store``'s."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Connection, select

from evperks.db.tables import stations
from evperks.db.tables_points import points_settings
from evperks.db.upsert import insert_for
from evperks.domain.points_expiry import InvalidRule, rule_from_dict, rule_to_dict
from evperks.domain.timecal import local_midnight_after
from evperks.services import audit_store
from evperks.services.context import Context
from evperks.services.errors import Invalid, Reason
from evperks.services.points.results import Earning, PointsSettingsView, Redemption
from evperks.services.points.settings_store import (
    DEFAULT_EARNING,
    DEFAULT_REDEMPTION,
    DEFAULT_REMINDER_DAYS,
    PointsSettings,
    apply_due_rule,
    load_settings,
)


def get_settings(ctx: Context) -> PointsSettingsView:
    with ctx.db.read() as conn:
        return _view(load_settings(conn))


def put_settings(
    ctx: Context,
    *,
    earning: dict | None = None,
    redemption: dict | None = None,
    expiry: dict | None = None,
    reminder_days: int | None = None,
    actor: str = "system",
) -> PointsSettingsView:
    """Save the sections given (an omitted section stays as it is). Earning, redemption and reminders
    apply at once; an expiry change waits for the next local 00:00 — saving again the same day replaces
    the pending change, saving the rule in force cancels it."""
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
    now = ctx.clock.now()
    with ctx.db.write() as conn:
        apply_due_rule(conn, ctx, now=now)  # a change that came due but was not yet applied is the rule in force now
        current = load_settings(conn)
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
        after = _view(load_settings(conn))
        audit_store.record_change(conn, actor=actor, action="update", target_type="points_settings", target_id=1,
                                  before=_view(current).as_dict(), after=after.as_dict(), at=now)
        return after


def _view(s: PointsSettings) -> PointsSettingsView:
    r = s.redemption
    return PointsSettingsView(
        earning=Earning(per_yuan_paid=_number(s.earning.per_yuan_paid), per_kwh=_number(s.earning.per_kwh)),
        redemption=Redemption(
            enabled=r.enabled,
            points_per_yuan=r.points_per_yuan,
            base=r.base,
            station_ids=sorted(r.station_ids),
            min_points=r.min_points,
            max_points=r.max_points,
            max_share_percent=r.max_share_percent,
            combine_with_voucher=r.combine_with_voucher,
        ),
        expiry=rule_to_dict(s.expiry),
        pending_expiry=rule_to_dict(s.pending_expiry) if s.pending_expiry else None,
        pending_effective_at=s.pending_effective_at,
        reminder_days=s.reminder_days,
    )


def _number(value: Decimal) -> int | float:
    """A rate for display: an integer when whole, else the float whose shortest repr is the decimal
    (rates have at most 4 decimals; the maths never sees this float)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _check_stations(conn: Connection, station_ids: list[str]) -> None:
    if not station_ids:
        return
    known = set(conn.execute(select(stations.c.id).where(stations.c.id.in_(station_ids))).scalars())
    missing = sorted(set(station_ids) - known)
    if missing:
        raise Invalid("unknown station(s): %(ids)s", field="redemption.station_ids", code="station.unknown",
                      ids=", ".join(missing))
