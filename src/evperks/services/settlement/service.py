"""Quote and settle a charge order."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, case, insert, select, update
from sqlalchemy.exc import IntegrityError

from evperks.db.tables import charge_orders, members, stations
from evperks.domain.checkout import Breakdown
from evperks.domain.vouchers import OrderAmounts
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid
from evperks.services.settlement.order import ChargeOrder
from evperks.services.settlement.pipeline import Settlement, Step
from evperks.services.settlement.voucher_step import VoucherStep

STEPS: tuple[Step, ...] = (VoucherStep(),)


def quote(ctx: Context, order: ChargeOrder) -> dict:
    """The breakdown settling ``order`` would give now; nothing is written."""
    now = ctx.clock.now()
    _check_times(ctx, order, now)
    with ctx.db.read() as conn:
        s = _plan(conn, ctx, order, now, lock=False)
    return _body(s, settled_at=None)


def settle(ctx: Context, order: ChargeOrder) -> tuple[dict, bool]:
    """The settlement's body, and whether this call created it (False: a replay of the same order)."""
    assert order.order_no is not None
    now = ctx.clock.now()
    _check_times(ctx, order, now)
    try:
        with ctx.db.write() as conn:
            replay = _replay(conn, order)
            if replay is not None:
                return replay, False
            s = _plan(conn, ctx, order, now, lock=True)
            body = _body(s, settled_at=now)
            _insert_order(conn, s, body)
            for step in STEPS:
                step.apply(conn, ctx, s)
            _record_member_activity(conn, s)
            return body, True
    except IntegrityError:
        # Only a parallel request with the same order_no for another member can get here (same-member
        # requests queue on the member lock): report it as the replay or conflict it is.
        with ctx.db.read() as conn:
            replay = _replay(conn, order)
        if replay is None:
            raise
        return replay, False


def _check_times(ctx: Context, order: ChargeOrder, now: datetime) -> None:
    if order.end_time > now + timedelta(seconds=ctx.settings.clock_skew_seconds):
        raise Invalid("may not lie in the future", field="end_time")
    if order.start_time > order.end_time:
        raise Invalid("must not be after end_time", field="start_time")


def _replay(conn: Connection, order: ChargeOrder) -> dict | None:
    row = conn.execute(
        select(charge_orders.c.fingerprint, charge_orders.c.result).where(charge_orders.c.order_no == order.order_no)
    ).first()
    if row is None:
        return None
    if row.fingerprint != order.fingerprint():
        raise Conflict("this order_no was already settled with different content", field="order_no")
    return row.result


def _plan(conn: Connection, ctx: Context, order: ChargeOrder, now: datetime, *, lock: bool) -> Settlement:
    member_query = select(members).where(members.c.id == order.member_id)
    member = conn.execute(member_query.with_for_update() if lock else member_query).first()
    if member is None:
        raise Invalid("no member has this id", field="member_id")
    if conn.execute(select(stations.c.id).where(stations.c.id == order.station_id)).first() is None:
        raise Invalid("no station has this id", field="station_id")
    amounts = OrderAmounts(
        station_id=order.station_id,
        end_time=order.end_time,
        elec_fee_fen=order.elec_fee_fen,
        service_fee_fen=order.service_fee_fen,
    )
    s = Settlement(order=order, member=member, amounts=amounts, breakdown=Breakdown(amounts.total_fen), now=now)
    for step in STEPS:
        step.plan(conn, ctx, s)
    return s


def _body(s: Settlement, *, settled_at: datetime | None) -> dict:
    b = s.breakdown
    return {
        "order_no": s.order.order_no,
        "member_id": s.order.member_id,
        "total_fen": b.total_fen,
        "voucher_id": b.voucher_id,
        "voucher_deduction_fen": b.voucher_deduction_fen,
        "points_used": b.points_used,
        "points_deduction_fen": b.points_deduction_fen,
        "wallet_paid_fen": b.wallet_paid_fen,
        "due_fen": b.due_fen,
        "points_earned": b.points_earned,
        "rewards": s.rewards,
        "settled_at": settled_at.isoformat() if settled_at else None,
    }


def _insert_order(conn: Connection, s: Settlement, body: dict) -> None:
    o, b = s.order, s.breakdown
    conn.execute(
        insert(charge_orders).values(
            order_no=o.order_no,
            member_id=o.member_id,
            station_id=o.station_id,
            start_time=o.start_time,
            end_time=o.end_time,
            energy_wh=o.energy_wh,
            elec_fee_fen=o.elec_fee_fen,
            service_fee_fen=o.service_fee_fen,
            total_fen=b.total_fen,
            voucher_id=b.voucher_id,
            voucher_deduction_fen=b.voucher_deduction_fen,
            points_used=b.points_used,
            points_deduction_fen=b.points_deduction_fen,
            wallet_paid_fen=b.wallet_paid_fen,
            due_fen=b.due_fen,
            points_earned=b.points_earned,
            fingerprint=o.fingerprint(),
            result=body,
            settled_at=s.now,
        )
    )


def _record_member_activity(conn: Connection, s: Settlement) -> None:
    """The derived attributes admins search members by (charge count, kWh, amount paid, last charge)."""
    m = members.c
    conn.execute(
        update(members)
        .where(m.id == s.order.member_id)
        .values(
            charge_count=m.charge_count + 1,
            total_wh=m.total_wh + s.order.energy_wh,
            total_paid_fen=m.total_paid_fen + s.breakdown.after_discounts_fen,
            last_charge_at=case(
                (m.last_charge_at.is_(None), s.order.end_time),
                (m.last_charge_at < s.order.end_time, s.order.end_time),
                else_=m.last_charge_at,
            ),
        )
    )
