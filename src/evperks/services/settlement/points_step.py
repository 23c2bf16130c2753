"""Settlement steps for points: redemption for cash (after the voucher, before the wallet) and earning
(from what the member finally paid). Both ledger rows carry the order_no, once per kind."""

from __future__ import annotations

from sqlalchemy import Connection

from evperks.domain.holds import usable
from evperks.domain.points import RedemptionOrder, points_earned, redemption
from evperks.domain.vouchers import DeductionType
from evperks.services.context import Context
from evperks.services.points import store
from evperks.services.points.settings_store import PointsSettings, load_settings, rule_in_force
from evperks.services.settlement.pipeline import Settlement


class PointsRedemptionStep:
    def plan(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        if not s.order.use_points:
            return
        rule = _settings(conn, s).redemption
        if not rule.enabled:
            return
        b = s.breakdown
        on_service_fee = s.voucher is not None and s.voucher.deduction_type is DeductionType.SERVICE_FEE
        order = RedemptionOrder(
            station_id=s.amounts.station_id,
            elec_fee_fen=s.amounts.elec_fee_fen,
            service_fee_fen=s.amounts.service_fee_fen,
            voucher_deduction_fen=b.voucher_deduction_fen,
            voucher_on_service_fee=on_service_fee,
        )
        spendable = store.spendable_points(conn, s.order.member_id, valid_after=s.now)
        # Points open charge sessions hold are not this order's (a session's own hold is, first).
        available = usable(balance=spendable, held_total=s.member.points_held, own_hold=s.hold.points if s.hold else 0)
        b.points_used, b.points_deduction_fen = redemption(rule, order, points_available=available)

    def apply(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        if s.breakdown.points_used > 0:
            store.spend(conn, member_id=s.order.member_id, points=s.breakdown.points_used, valid_after=s.now,
                         now=s.now, kind="redeem", ref=s.order.order_no)


class PointsEarnStep:
    def plan(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        rule = _settings(conn, s).earning
        s.breakdown.points_earned = points_earned(
            rule, paid_fen=s.breakdown.after_discounts_fen, energy_wh=s.order.energy_wh
        )

    def apply(self, conn: Connection, ctx: Context, s: Settlement) -> None:
        if s.breakdown.points_earned > 0:
            rule = rule_in_force(_settings(conn, s), s.now)
            store.grant(conn, ctx, member_id=s.order.member_id, points=s.breakdown.points_earned, rule=rule,
                         granted_at=s.now, now=s.now, kind="earn", ref=s.order.order_no)


def _settings(conn: Connection, s: Settlement) -> PointsSettings:
    """The points settings, read once per settlement whichever step asks first."""
    if "points_settings" not in s.memo:
        s.memo["points_settings"] = load_settings(conn)
    return s.memo["points_settings"]
