"""Any sequence of recharging, confirming, replaying, cancelling, paying and refunding keeps the
wallet invariants: balance = ledger sum ≥ 0, each row's balance_after is the running sum, and each
paid recharge is credited exactly once."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

from evperks.db.tables import members
from evperks.db.tables_wallet import wallet_ledger
from evperks.services import wallet
from evperks.services.errors import Conflict
from evperks.services.settlement import settle
from tests import factories as f
from tests.conftest import empty_all_tables

AMOUNTS = st.sampled_from([100, 999, 5000, 10000, 20000, 50000])


def test_wallet_invariants_hold_after_any_sequence(ctx):
    class Wallets(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            empty_all_tables(ctx.db)
            ctx.clock.move_to(f.local(2026, 3, 12, 12))
            f.station(ctx)
            self.member = f.member(ctx)["id"]
            self.recharges: list[str] = []
            self.expected = 0  # the model: what the balance must be
            self.paid: dict[str, str] = {}  # order_no → txn id
            self.n = 0

        def _next(self, prefix: str) -> str:
            self.n += 1
            return f"{prefix}{self.n}"

        @rule(amount=AMOUNTS)
        def recharge(self, amount):
            order_no = self._next("R")
            wallet.create_recharge(ctx, order_no=order_no, member_id=self.member, amount_fen=amount)
            self.recharges.append(order_no)

        @rule(data=st.data())
        def confirm_or_replay(self, data):
            if not self.recharges:
                return
            order_no = data.draw(st.sampled_from(self.recharges))
            txn = self.paid.get(order_no, "T-" + order_no)
            try:
                result = wallet.confirm_recharge(ctx, order_no=order_no, provider_txn_id=txn)
            except Conflict:
                return  # cancelled
            if order_no not in self.paid:
                self.paid[order_no] = txn
                self.expected += result["amount_fen"]

        @rule(data=st.data())
        def cancel(self, data):
            if not self.recharges:
                return
            order_no = data.draw(st.sampled_from(self.recharges))
            try:
                wallet.cancel_recharge(ctx, order_no=order_no)
            except Conflict:
                assert order_no in self.paid

        @rule(elec=st.integers(0, 30000), service=st.integers(0, 5000))
        def pay_a_charge_order(self, elec, service):
            body, _ = settle(ctx, f.charge_order(self.member, voucher=None, use_wallet=True,
                                                 elec_fee_fen=elec, service_fee_fen=service))
            assert body["wallet_paid_fen"] == min(self.expected, elec + service)
            self.expected -= body["wallet_paid_fen"]

        @rule(amount=st.integers(1, 30000))
        def refund(self, amount):
            try:
                wallet.refund_wallet(ctx, member_id=self.member, amount_fen=amount, reason="退款")
            except Conflict:
                assert amount > self.expected
                return
            self.expected -= amount

        @invariant()
        def balance_equals_the_ledger_sum_and_is_never_negative(self):
            with ctx.db.read() as conn:
                balance = conn.execute(select(members.c.wallet_balance_fen)
                                       .where(members.c.id == self.member)).scalar_one()
                total = conn.execute(select(func.coalesce(func.sum(wallet_ledger.c.amount_fen), 0))
                                     .where(wallet_ledger.c.member_id == self.member)).scalar_one()
            assert balance == total == self.expected >= 0
            assert wallet.reconcile_wallets(ctx) == []

    Wallets.TestCase.settings = settings(max_examples=15, stateful_step_count=25, deadline=None,
                                         suppress_health_check=list(HealthCheck))
    Wallets.TestCase().runTest()
