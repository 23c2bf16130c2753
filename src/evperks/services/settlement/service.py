"""Quote and settle a charge order.

The statements of the hot path are built once at import, with bind parameters: building Core
statements per call cost about a third of a settlement's CPU (docs/performance.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, case, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from evperks.db.tables import charge_orders, members, stations
from evperks.db.types import UTCDateTime
from evperks.domain.checkout import Breakdown
from evperks.domain.vouchers import OrderAmounts
from evperks.services.context import Context
from evperks.services.errors import Conflict, Invalid
from evperks.services.settlement.campaign_step import CampaignStep
from evperks.services.settlement.order import ChargeOrder
from evperks.services.settlement.pipeline import OwnHold, Settlement, Step
from evperks.services.settlement.points_step import PointsEarnStep, PointsRedemptionStep
from evperks.services.settlement.results import SettlementBody
from evperks.services.settlement.voucher_step import VoucherStep
from evperks.services.settlement.wallet_step import WalletStep

STEPS: tuple[Step, ...] = (VoucherStep(), PointsRedemptionStep(), WalletStep(), PointsEarnStep(), CampaignStep())  # CampaignStep stays last

# One round trip for the common case: the member (locked), whether the order_no was settled, whether
# the station exists. Anything unusual falls back to the separate checks, which order the errors.
_LOOKUP = select(
    members,
    select(charge_orders.c.fingerprint)
    .where(charge_orders.c.order_no == bindparam("order_no"))
    .scalar_subquery()
    .label("replay_fingerprint"),
    exists().where(stations.c.id == bindparam("station_id")).label("station_known"),
).where(members.c.id == bindparam("member_id"))
_LOOKUP_LOCKED = _LOOKUP.with_for_update(of=members)
_STORED = select(charge_orders.c.fingerprint, charge_orders.c.result).where(
    charge_orders.c.order_no == bindparam("order_no")
)
_INSERT_ORDER = insert(charge_orders)
_END_TIME = bindparam("end_time", type_=UTCDateTime())
_RECORD_ACTIVITY = (
    update(members)
    .where(members.c.id == bindparam("m_id"))
    .values(
        charge_count=members.c.charge_count + 1,
        total_wh=members.c.total_wh + bindparam("energy_wh"),
        total_paid_fen=members.c.total_paid_fen + bindparam("paid_fen"),
        last_charge_at=case(
            (or_(members.c.last_charge_at.is_(None), members.c.last_charge_at < _END_TIME), _END_TIME),
            else_=members.c.last_charge_at,
        ),
    )
)


def quote(ctx: Context, order: ChargeOrder) -> SettlementBody:
    """The breakdown settling ``order`` would give now; nothing is written."""
    now = ctx.clock.now()
    check_times(ctx, order, now)
    with ctx.db.read() as conn:
        row = conn.execute(_LOOKUP, _lookup_params(order)).first()
        s = plan_settlement(conn, ctx, order, now, member=_known_member_at_known_station(row))
    return _body(s, settled_at=None)


def settle(ctx: Context, order: ChargeOrder) -> tuple[SettlementBody, bool]:
    """The settlement's body, and whether this call created it (False: a replay of the same order)."""
    assert order.order_no is not None
    now = ctx.clock.now()
    check_times(ctx, order, now)
    try:
        with ctx.db.write() as conn:
            row = lock_member_for(conn, order)
            if row is None or row.replay_fingerprint is not None or not row.station_known:
                replay = _replay(conn, order)
                if replay is not None:
                    return replay, False
                row = _known_member_at_known_station(row)
            s = plan_settlement(conn, ctx, order, now, member=row)
            return apply_settlement(conn, ctx, s), True
    except IntegrityError:
        # Only a parallel request with the same order_no for another member can get here (same-member
        # requests queue on the member lock): its order row or a ledger row keyed by the order_no
        # clashed, and everything rolled back. Report it as the replay or conflict it is.
        with ctx.db.read() as conn:
            replay = _replay(conn, order)
        if replay is None:
            raise
        return replay, False


def apply_settlement(conn: Connection, ctx: Context, s: Settlement) -> SettlementBody:
    """Write a planned settlement (the member's row locked): every step, the member's totals, the order."""
    for step in STEPS:
        step.apply(conn, ctx, s)
    _record_member_activity(conn, s)
    # Written last, with everything the steps did (rewards included): what a replay returns.
    body = _body(s, settled_at=s.now.astimezone(ctx.zone))  # stored as text: shown as the API shows instants
    _insert_order(conn, s, body)
    return body


def check_times(ctx: Context, order: ChargeOrder, now: datetime) -> None:
    if order.end_time > now + timedelta(seconds=ctx.settings.clock_skew_seconds):
        raise Invalid("may not lie in the future", field="end_time", code="time.in_future")
    if order.start_time > order.end_time:
        raise Invalid("must not be after end_time", field="start_time", code="settlement.start_after_end")
    longest = ctx.settings.max_session_hours
    if order.end_time - order.start_time > timedelta(hours=longest):
        raise Invalid("the session may last at most %(hours)s hours (EVPERKS_MAX_SESSION_HOURS)", field="end_time",
                      code="settlement.session_too_long", hours=longest)


def _replay(conn: Connection, order: ChargeOrder) -> SettlementBody | None:
    row = conn.execute(_STORED, {"order_no": order.order_no}).first()
    if row is None:
        return None
    if row.fingerprint != order.fingerprint():
        raise Conflict("this order_no was already settled with different content", field="order_no",
                       code="settlement.order_no_reused")
    return SettlementBody.stored(row.result)


def lock_member_for(conn: Connection, order: ChargeOrder):
    """The member's row, locked, with ``replay_fingerprint`` (the order_no's earlier settlement, if any) and
    ``station_known``; None for an unknown member."""
    return conn.execute(_LOOKUP_LOCKED, _lookup_params(order)).first()


def _lookup_params(order: ChargeOrder) -> dict:
    return {"member_id": order.member_id, "order_no": order.order_no, "station_id": order.station_id}


def _known_member_at_known_station(row):
    """The looked-up member row; an unknown member is refused first, then an unknown station."""
    if row is None:
        raise Invalid("no member has this id", field="member_id", code="member.unknown")
    if not row.station_known:
        raise Invalid("no station has this id", field="station_id", code="station.unknown_id")
    return row


def plan_settlement(conn: Connection, ctx: Context, order: ChargeOrder, now: datetime, *, member,
                    hold: OwnHold | None = None) -> Settlement:
    """Every step's plan for ``order`` (read only); ``hold`` is what the settling charge session holds."""
    amounts = OrderAmounts(
        station_id=order.station_id,
        end_time=order.end_time,
        elec_fee_fen=order.elec_fee_fen,
        service_fee_fen=order.service_fee_fen,
        start_local=order.start_time.astimezone(ctx.zone),  # usage windows are judged at the local start
    )
    s = Settlement(order=order, member=member, amounts=amounts, breakdown=Breakdown(amounts.total_fen), now=now,
                   hold=hold)
    for step in STEPS:
        step.plan(conn, ctx, s)
    return s


def _body(s: Settlement, *, settled_at: datetime | None) -> SettlementBody:
    b = s.breakdown
    return SettlementBody(
        order_no=s.order.order_no,
        member_id=s.order.member_id,
        total_fen=b.total_fen,
        voucher_id=b.voucher_id,
        voucher_deduction_fen=b.voucher_deduction_fen,
        points_used=b.points_used,
        points_deduction_fen=b.points_deduction_fen,
        wallet_paid_fen=b.wallet_paid_fen,
        due_fen=b.due_fen,
        points_earned=b.points_earned,
        rewards=s.rewards,
        settled_at=settled_at.isoformat() if settled_at else None,
    )


def _insert_order(conn: Connection, s: Settlement, body: SettlementBody) -> None:
    o, b = s.order, s.breakdown
    conn.execute(
        _INSERT_ORDER,
        dict(
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
            result=body.as_dict(),
            settled_at=s.now,
            session_id=s.hold.session_id if s.hold else None,
        ),
    )


def _record_member_activity(conn: Connection, s: Settlement) -> None:
    """The derived attributes admins search members by (charge count, kWh, amount paid, last charge)."""
    conn.execute(
        _RECORD_ACTIVITY,
        {
            "m_id": s.order.member_id,
            "energy_wh": s.order.energy_wh,
            "paid_fen": s.breakdown.after_discounts_fen,
            "end_time": s.order.end_time,
        },
    )
