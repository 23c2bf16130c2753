"""Any sequence of issuing, settling, replaying, revoking and time passing keeps the invariants."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import select

from evperks.db.tables import charge_orders, members, vouchers
from evperks.services import vouchers as voucher_service
from evperks.services.errors import Conflict, Invalid
from evperks.services.settlement import AUTO, settle
from evperks.services.voucher_expiry import expire_vouchers
from tests import factories as f
from tests.conftest import empty_all_tables

# Bills around the vouchers' face values and minimum spends, where the deduction rules change.
amounts = st.one_of(st.sampled_from([0, 1, 299, 499, 500, 501, 999, 1000, 1999, 2000, 3000]), st.integers(0, 5000))


def test_settlement_invariants_hold_after_any_sequence(ctx):
    class Settlements(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            empty_all_tables(ctx.db)
            self.now = f.local(2026, 3, 10, 9)
            ctx.clock.move_to(self.now)  # the emptied database has an unset sandbox clock again
            f.station(ctx, "S1")
            f.station(ctx, "S2")
            self.member = f.member(ctx)["id"]
            self.templates = [
                f.template(ctx, face_value_fen=500, days=2)["id"],
                f.template(ctx, face_value_fen=3000, deduction_type=voucher_service.DeductionType.SERVICE_FEE)["id"],
                f.template(ctx, face_value_fen=1000, station_ids=("S2",), min_spend_fen=2000)["id"],
            ]
            self.settled: dict[str, tuple] = {}

        @rule(template=st.integers(0, 2), quantity=st.integers(1, 3))
        def give(self, template, quantity):
            f.give(ctx, self.member, self.templates[template], quantity)

        @rule(hours=st.integers(1, 40))
        def time_passes(self, hours):
            self.now += timedelta(hours=hours)
            ctx.clock.move_to(self.now)

        @rule()
        def expiry_job_runs(self):
            expire_vouchers(ctx)

        @rule(elec=amounts, service=amounts, station=st.sampled_from(["S1", "S2"]),
              choice=st.sampled_from(["auto", "auto", "none", "named"]), minutes_later=st.integers(1, 600),
              settled_after=st.integers(0, 10))
        def settle_an_order(self, elec, service, station, choice, minutes_later, settled_after):
            self.now += timedelta(minutes=minutes_later)
            ctx.clock.move_to(self.now)
            end = self.now - timedelta(minutes=settled_after)
            voucher = {"auto": AUTO, "none": None}.get(choice)
            if choice == "named":
                with ctx.db.read() as conn:
                    voucher = conn.execute(select(vouchers.c.id).order_by(vouchers.c.id.desc()).limit(1)).scalar()
                if voucher is None:
                    return
            order = f.charge_order(self.member, voucher=voucher, station_id=station, elec_fee_fen=elec,
                                   service_fee_fen=service, start_time=end - timedelta(hours=1), end_time=end)
            try:
                body, created = settle(ctx, order)
            except (Conflict, Invalid):
                return
            assert created
            self.settled[order.order_no] = (order, body)

        @rule(data=st.data())
        def replay_an_order(self, data):
            if not self.settled:
                return
            order, body = self.settled[data.draw(st.sampled_from(sorted(self.settled)))]
            assert settle(ctx, order) == (body, False)

        @rule(data=st.data())
        def revoke_a_voucher(self, data):
            with ctx.db.read() as conn:
                ids = conn.execute(select(vouchers.c.id)).scalars().all()
            if ids:
                try:
                    voucher_service.revoke_voucher(ctx, voucher_id=data.draw(st.sampled_from(ids)), reason="test")
                except Conflict:
                    pass

        @invariant()
        def vouchers_and_orders_pair_one_to_one(self):
            with ctx.db.read() as conn:
                used = {r.id: r.used_order_no for r in conn.execute(select(vouchers).where(vouchers.c.status == "used"))}
                orders = conn.execute(select(charge_orders)).all()
            by_order = {o.order_no: o.voucher_id for o in orders if o.voucher_id is not None}
            assert {order_no: vid for vid, order_no in used.items()} == by_order

        @invariant()
        def every_order_adds_up_and_member_totals_match(self):
            with ctx.db.read() as conn:
                orders = conn.execute(select(charge_orders)).all()
                member = conn.execute(select(members).where(members.c.id == self.member)).one()
                terms = {v.id: v for v in conn.execute(select(vouchers))}
            for o in orders:
                assert o.total_fen == o.elec_fee_fen + o.service_fee_fen
                assert 0 <= o.due_fen == o.total_fen - o.voucher_deduction_fen - o.points_deduction_fen - o.wallet_paid_fen
                if o.voucher_id is not None:
                    v = terms[o.voucher_id]
                    base = o.service_fee_fen if v.deduction_type == "service_fee" else o.total_fen
                    assert o.voucher_deduction_fen == min(v.face_value_fen, base)
                    assert v.valid_from <= o.end_time < v.valid_until
                    assert not v.station_ids or o.station_id in v.station_ids
            assert member.charge_count == len(orders)
            assert member.total_paid_fen == sum(o.total_fen - o.voucher_deduction_fen - o.points_deduction_fen for o in orders)

    Settlements.TestCase.settings = settings(
        max_examples=15, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    Settlements.TestCase().runTest()
