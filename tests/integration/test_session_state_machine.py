"""Any interleaving of opening, settling and cancelling charge sessions, settling orders outside them,
refunding settled orders (in part or in full), recharging, granting points and the release job, for a few
members, keeps every invariant of product.md that money touches: wallet = ledger sum ≥ 0, points = lots =
ledger, available = balance − open holds ≥ 0, the members' hold sums equal their open sessions', a voucher
is held by at most one open session (and by nothing once it closed) and used by at most one order, and an
order's refunds never exceed what it was paid in money. (test_money_state_machine.py interleaves refunds
with settlements and campaigns; this one adds the holds.)"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

from evperks.db.tables import charge_orders, charge_sessions, members, vouchers
from evperks.services import sessions, wallet
from evperks.services.errors import Conflict, Invalid
from evperks.services.points import ledger as points_ledger
from evperks.services.points.settings import put_settings as put_points_settings
from evperks.services.sessions import FinalAmounts, SessionRequest
from evperks.services.sessions.reconcile import reconcile_holds
from evperks.services.settlement import AUTO, settle
from evperks.services.settlement.refund_checks import reconcile_refunds
from evperks.services.settlement.refunds import refund
from tests import factories as f
from tests.conftest import empty_all_tables

FEES = st.sampled_from([0, 300, 800, 2000, 4500])
HOLDS = st.one_of(st.none(), st.sampled_from([0, 500, 2000, 6000]))


def test_session_invariants_hold_after_any_interleaving(ctx):
    class Sessions(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            empty_all_tables(ctx.db)
            self.now = f.local(2026, 3, 12, 9)
            ctx.clock.move_to(self.now)
            f.station(ctx)
            put_points_settings(ctx, redemption={"enabled": True, "points_per_yuan": 100, "max_points": 700},
                                earning={"per_yuan_paid": 1, "per_kwh": 0})
            wallet.put_settings(ctx, min_recharge_fen=100, denominations_fen=[5000], allow_custom_amount=True,
                                hold_hours=3)
            self.members = [f.member(ctx)["id"] for _ in range(2)]
            self.template = f.template(ctx, face_value_fen=600)["id"]
            self.n = 0
            self.settled: dict[str, tuple] = {}  # session_id → (final amounts, body)

        def _next(self, prefix: str) -> str:
            self.n += 1
            return f"{prefix}{self.n}"

        def _tick(self, minutes: int) -> None:
            self.now += timedelta(minutes=minutes)
            ctx.clock.move_to(self.now)

        def _voucher(self, member: str, choice: str, data):
            """AUTO, None, or one of the member's vouchers (any state: refusals are checked too)."""
            if choice != "named":
                return {"auto": AUTO, "none": None}[choice]
            with ctx.db.read() as conn:
                ids = conn.execute(select(vouchers.c.id).where(vouchers.c.member_id == member)).scalars().all()
            return data.draw(st.sampled_from(sorted(ids))) if ids else "missing"

        def _sessions(self, status: str) -> list[str]:
            with ctx.db.read() as conn:
                return conn.execute(select(charge_sessions.c.session_id).where(charge_sessions.c.status == status)
                                    .order_by(charge_sessions.c.session_id)).scalars().all()

        @rule(who=st.integers(0, 1), amount=st.sampled_from([100, 2500, 5000]))
        def recharge(self, who, amount):
            order_no = self._next("R")
            wallet.create_recharge(ctx, order_no=order_no, member_id=self.members[who], amount_fen=amount)
            wallet.confirm_recharge(ctx, order_no=order_no, provider_txn_id="T" + order_no)

        @rule(who=st.integers(0, 1), points=st.sampled_from([100, 450, 900]))
        def grant_points(self, who, points):
            points_ledger.adjust(ctx, member_id=self.members[who], points=points, reason="test")

        @rule(who=st.integers(0, 1))
        def give_voucher(self, who):
            f.give(ctx, self.members[who], self.template)

        @rule(who=st.integers(0, 1), use_wallet=st.booleans(), hold=HOLDS, use_points=st.booleans(),
              choice=st.sampled_from(["auto", "none", "named"]), data=st.data())
        def open_session(self, who, use_wallet, hold, use_points, choice, data):
            member = self.members[who]
            voucher = self._voucher(member, choice, data)
            if voucher == "missing":
                return
            request = SessionRequest(session_id=self._next("CS"), member_id=member, station_id="S1", voucher=voucher,
                                     use_points=use_points, use_wallet=use_wallet,
                                     wallet_hold_fen=hold if use_wallet else None)
            before = self._money()
            try:
                session, created = sessions.open_session(ctx, request)
            except (Conflict, Invalid):
                assert self._money() == before  # a refusal changes nothing
                return
            assert created and session["status"] == "open"
            assert sessions.open_session(ctx, request) == (session, False)

        @rule(data=st.data(), elec=FEES, service=FEES, minutes=st.integers(1, 90))
        def settle_session(self, data, elec, service, minutes):
            open_ids = self._sessions("open")
            if not open_ids:
                return
            self._tick(minutes)
            session_id = data.draw(st.sampled_from(open_ids))
            final = FinalAmounts(order_no=self._next("SO"), end_time=self.now, energy_wh=10_000, elec_fee_fen=elec,
                                 service_fee_fen=service)
            body, created = sessions.settle_session(ctx, session_id, final)
            assert created and body["session_id"] == session_id
            self.settled[session_id] = (final, body)
            assert sessions.settle_session(ctx, session_id, final) == (body, False)

        @rule(data=st.data())
        def cancel_session(self, data):
            open_ids = self._sessions("open")
            if not open_ids:
                return
            session_id = data.draw(st.sampled_from(open_ids))
            cancelled, created = sessions.cancel_session(ctx, session_id)
            assert created and cancelled["status"] == "cancelled"
            assert sessions.cancel_session(ctx, session_id) == (cancelled, False)

        @rule(data=st.data())
        def settled_and_cancelled_exclude_each_other(self, data):
            if self.settled:
                session_id = data.draw(st.sampled_from(sorted(self.settled)))
                try:
                    sessions.cancel_session(ctx, session_id)
                    raise AssertionError("a settled session was cancelled")
                except Conflict as refused:
                    assert refused.code == "session.settled"

        @rule(who=st.integers(0, 1), elec=FEES, service=FEES, use_wallet=st.booleans(), use_points=st.booleans(),
              choice=st.sampled_from(["auto", "none", "named"]), data=st.data())
        def settle_an_order(self, who, elec, service, use_wallet, use_points, choice, data):
            self._tick(1)
            member = self.members[who]
            voucher = self._voucher(member, choice, data)
            if voucher == "missing":
                return
            order = f.charge_order(member, voucher=voucher, elec_fee_fen=elec, service_fee_fen=service,
                                   use_wallet=use_wallet, use_points=use_points, start_time=self.now - timedelta(hours=1),
                                   end_time=self.now)
            before = self._money()
            try:
                settle(ctx, order)
            except (Conflict, Invalid):
                assert self._money() == before
                return

        @rule(data=st.data(), share=st.sampled_from([None, 1, 50, 100]))
        def refund_an_order(self, data, share):
            """A refund of a settled order: all that is left (None), or a share (%) of what it was paid."""
            o = charge_orders.c
            with ctx.db.read() as conn:
                orders = conn.execute(select(o.order_no, o.wallet_paid_fen, o.due_fen, o.refunded_fen)
                                      .where(o.status != "refunded").order_by(o.order_no)).all()
            if not orders:
                return
            order = data.draw(st.sampled_from(orders))
            paid = order.wallet_paid_fen + order.due_fen
            amount = None if share is None else paid * share // 100
            before = self._money()
            try:
                body, created = refund(ctx, order_no=order.order_no, refund_no=self._next("RF"), amount_fen=amount)
            except (Conflict, Invalid):  # more than is left, or 0 while money is left
                assert amount is not None and (amount > paid - order.refunded_fen or amount == 0)
                assert self._money() == before
                return
            assert created and body["amount_fen"] == (paid - order.refunded_fen if amount is None else amount)

        @rule(hours=st.integers(1, 4))
        def release_job_runs(self, hours):
            self._tick(60 * hours)
            sessions.release_expired(ctx)
            with ctx.db.read() as conn:
                overdue = conn.execute(select(func.count()).where(charge_sessions.c.status == "open",
                                                                  charge_sessions.c.expires_at <= self.now)).scalar()
            assert overdue == 0

        def _money(self):
            with ctx.db.read() as conn:
                rows = conn.execute(select(members.c.id, members.c.wallet_balance_fen, members.c.wallet_held_fen,
                                           members.c.points_balance, members.c.points_held)).all()
                held = conn.execute(select(vouchers.c.id, vouchers.c.held_by_session, vouchers.c.status)).all()
            return sorted(map(tuple, rows)), sorted(map(tuple, held))

        @invariant()
        def wallets_and_points_reconcile(self):
            assert wallet.reconcile_wallets(ctx) == []
            assert points_ledger.reconcile_points(ctx) == []
            assert reconcile_holds(ctx) == []
            assert reconcile_refunds(ctx) == []

        @invariant()
        def member_holds_are_the_sums_of_their_open_sessions_and_within_the_balance(self):
            s = charge_sessions.c
            with ctx.db.read() as conn:
                sums = {r.member_id: (r.w, r.p) for r in conn.execute(
                    select(s.member_id, func.sum(s.wallet_held_fen).label("w"), func.sum(s.points_held).label("p"))
                    .where(s.status == "open").group_by(s.member_id))}
                rows = conn.execute(select(members)).all()
            for m in rows:
                assert (m.wallet_held_fen, m.points_held) == sums.get(m.id, (0, 0))
                assert 0 <= m.wallet_held_fen <= m.wallet_balance_fen

        @invariant()
        def a_voucher_is_held_by_one_open_session_and_used_by_one_order(self):
            s, v = charge_sessions.c, vouchers.c
            with ctx.db.read() as conn:
                holders = {r.session_id: r.voucher_id for r in conn.execute(
                    select(s.session_id, s.voucher_id).where(s.status == "open", s.voucher_id.is_not(None)))}
                held = {r.id: r.held_by_session for r in conn.execute(select(v.id, v.held_by_session)
                                                                      .where(v.held_by_session.is_not(None)))}
                used = {r.id: r.used_order_no for r in conn.execute(select(v.id, v.used_order_no)
                                                                    .where(v.status == "used"))}
                orders = conn.execute(select(charge_orders.c.order_no, charge_orders.c.voucher_id)
                                      .where(charge_orders.c.voucher_id.is_not(None))).all()
            assert held == {voucher: session for session, voucher in holders.items()}
            assert not set(held) & set(used)
            assert max(Counter(o.voucher_id for o in orders).values(), default=0) <= 1
            assert {o.voucher_id: o.order_no for o in orders} == used

    Sessions.TestCase.settings = settings(
        max_examples=12, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    Sessions.TestCase().runTest()
