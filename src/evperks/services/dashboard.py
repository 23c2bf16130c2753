"""首页 figures: what is running, what was issued, used and deducted, and what the operator owes.

Read-only, in one read transaction and three statements. Days are the operator's local days;
each of the last ``DAYS`` days is a range of UTC instants [00:00, next 00:00), so a timestamp falls into
its day by comparison alone (same SQL on both engines, right across a DST change).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Connection, case, func, literal, select, union_all

from evperks.db.tables import campaigns, charge_orders, members, vouchers
from evperks.domain.campaigns import Status
from evperks.domain.timecal import local_date, start_of_local_day
from evperks.services.context import Context
from evperks.services.results import Result, result

DAYS = 14
RUNNING_SHOWN = 5
SERIES = ("issued", "used", "voucher_fen", "points_fen")


@result
class Day(Result):
    """One local day of the series: vouchers issued and used, and what vouchers and points deducted."""

    day: date
    issued: int
    used: int
    voucher_fen: int
    points_fen: int
    deducted_fen: int


@result
class RunningCampaign(Result):
    id: int
    name: str
    type: str
    packages_given: int
    total_packages: int | None
    end_at: datetime | None


@result
class Figures(Result):
    today: date
    members_total: int
    members_new_today: int
    points_liability: int
    stored_value_liability_fen: int
    active_campaigns: int
    vouchers_issued_today: int
    vouchers_used_today: int
    voucher_deduction_today_fen: int
    points_deduction_today_fen: int
    deductions_today_fen: int
    days: list[Day]
    running: list[RunningCampaign]


def figures(ctx: Context) -> Figures:
    """Today's tiles, the liabilities, the last ``DAYS`` days per series and the running campaigns."""
    now = ctx.clock.now()
    today = local_date(now, ctx.zone)
    first = today - timedelta(days=DAYS - 1)
    # bounds[i] is 00:00 of day i (0 = the first shown, DAYS - 1 = today); bounds[DAYS] is tomorrow 00:00.
    bounds = [start_of_local_day(first + timedelta(days=i), ctx.zone) for i in range(DAYS + 1)]
    with ctx.db.read() as conn:
        totals = _totals(conn, today_start=bounds[-2])
        per_day = _per_day(conn, bounds)
        running = _running(conn)
    days = [_day(first + timedelta(days=i), {s: per_day.get((s, i), 0) for s in SERIES}) for i in range(DAYS)]
    today_row = days[-1]
    return Figures(
        today=today,
        **totals,
        vouchers_issued_today=today_row.issued,
        vouchers_used_today=today_row.used,
        voucher_deduction_today_fen=today_row.voucher_fen,
        points_deduction_today_fen=today_row.points_fen,
        deductions_today_fen=today_row.deducted_fen,
        days=days,
        running=running,
    )


def _day(day: date, values: dict[str, int]) -> Day:
    return Day(day=day, **values, deducted_fen=values["voucher_fen"] + values["points_fen"])


def _totals(conn: Connection, *, today_start: datetime) -> dict:
    """Members (total, new today), the two liabilities and the active campaigns, in one row."""
    active = select(func.count()).select_from(campaigns).where(campaigns.c.status == Status.ACTIVE).scalar_subquery()
    row = conn.execute(select(
        func.count().label("members_total"),
        func.coalesce(func.sum(case((members.c.registered_at >= today_start, 1), else_=0)), 0).label("members_new_today"),
        func.coalesce(func.sum(members.c.points_balance), 0).label("points_liability"),
        func.coalesce(func.sum(members.c.wallet_balance_fen), 0).label("stored_value_liability_fen"),
        active.label("active_campaigns"),
    ).select_from(members)).one()
    return {key: int(value) for key, value in row._mapping.items()}


def _per_day(conn: Connection, bounds: list[datetime]) -> dict[tuple[str, int], int]:
    """{(series, day index): value}: one statement, a UNION ALL of one range aggregate per series and
    day. Each is a range read of its series' index; bucketing every row with a CASE instead had to sort
    the whole window (7x slower on SQLite at 10^6 vouchers, bench/dashboard.py)."""
    co = charge_orders.c
    series = [
        ("issued", vouchers.c.issued_at, func.count(), vouchers, ()),
        ("used", vouchers.c.used_at, func.count(), vouchers, (vouchers.c.used_at.is_not(None),)),
        ("voucher_fen", co.settled_at, func.sum(co.voucher_deduction_fen), charge_orders, ()),
        ("points_fen", co.settled_at, func.sum(co.points_deduction_fen), charge_orders, ()),
    ]
    parts = [
        select(literal(name).label("series"), literal(day).label("day"), value.label("value"))
        .select_from(table).where(at >= bounds[day], at < bounds[day + 1], *where)
        for name, at, value, table, where in series
        for day in range(len(bounds) - 1)
    ]
    return {(row.series, int(row.day)): int(row.value or 0) for row in conn.execute(union_all(*parts))}


def _running(conn: Connection) -> list[RunningCampaign]:
    """The active campaigns that end soonest, with packages given of the total."""
    c = campaigns.c
    rows = conn.execute(
        select(c.id, c.name, c.type, c.packages_given, c.total_packages, c.end_at)
        .where(c.status == Status.ACTIVE)
        .order_by(c.end_at.is_(None), c.end_at, c.id)
        .limit(RUNNING_SHOWN)
    ).all()
    return [RunningCampaign(**row._mapping) for row in rows]

