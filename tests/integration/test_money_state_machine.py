"""Money that flows both ways keeps every invariant of product.md after any sequence of steps, on both
engines: a few members settle orders (voucher, points, wallet), refund them (in part, in full, repeated),
recharge and get points, while a consumption campaign with a small budget gives and loses tier packages.

``MoneyMachine`` is the model; a test binds it to an engine's ``ctx``. To add a kind of step (charge
sessions, …), add a ``@rule`` to the class (or a subclass) and keep the model fields it changes true;
every ``@invariant`` then runs after it too.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, insert, select

from evperks.db.tables import (
    campaign_packages,
    campaigns,
    charge_order_refunds,
    charge_orders,
    members,
    vouchers,
)
from evperks.db.tables_points import points_ledger, points_lots
from evperks.db.tables_wallet import wallet_ledger
from evperks.services import wallet
from evperks.services.errors import Conflict
from evperks.services.points import ledger as points_ledger_service
from evperks.services.points import settings as points_settings
from evperks.services.settlement import refunds, settle
from evperks.services.settlement.refund_checks import reconcile_refunds
from tests import factories as f
from tests.conftest import empty_all_tables

MEMBERS = 3
FEES = st.integers(0, 4000)


class MoneyMachine(RuleBasedStateMachine):
    ctx = None  # bound by the test to one engine's context

    def __init__(self) -> None:
        super().__init__()
        ctx = self.ctx
        empty_all_tables(ctx.db)
        ctx.clock.move_to(f.local(2026, 3, 12, 9))
        f.station(ctx)
        points_settings.put_settings(ctx, earning={"per_yuan_paid": 1, "per_kwh": 0}, redemption={
            "enabled": True, "points_per_yuan": 100, "max_share_percent": 50})
        self.members = [f.member(ctx)["id"] for _ in range(MEMBERS)]
        template = f.template(ctx, 500)["id"]
        for member_id in self.members:
            f.give(ctx, member_id, template, quantity=2)
        self.campaign = _consumption_campaign(ctx, f.template(ctx, 300)["id"])
        ctx.clock.move_to(f.local(2026, 3, 12, 12))  # orders end at 12:00: tier vouchers issued now can pay them
        self.n = 0
        self.orders: dict[str, dict] = {}  # order_no → {member, paid, refunded, status}
        self.refunds: dict[str, tuple[str, int | None, dict]] = {}  # refund_no → (order_no, amount asked, answer)

    def _next(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    @initialize()
    def nothing_yet(self):
        assert reconcile_refunds(self.ctx) == []

    # --- steps ---------------------------------------------------------------------------------------
    @rule(who=st.integers(0, MEMBERS - 1), amount=st.sampled_from([100, 1000, 5000]))
    def recharge(self, who, amount):
        order_no = self._next("R")
        wallet.create_recharge(self.ctx, order_no=order_no, member_id=self.members[who], amount_fen=amount)
        wallet.confirm_recharge(self.ctx, order_no=order_no, provider_txn_id="T-" + order_no)

    @rule(who=st.integers(0, MEMBERS - 1), points=st.integers(1, 500))
    def grant_points(self, who, points):
        points_ledger_service.adjust(self.ctx, member_id=self.members[who], points=points, reason="补录", actor="test")

    @rule(who=st.integers(0, MEMBERS - 1), elec=FEES, service=FEES, use_voucher=st.booleans(),
          use_points=st.booleans(), use_wallet=st.booleans())
    def settle_an_order(self, who, elec, service, use_voucher, use_points, use_wallet):
        order = f.charge_order(self.members[who], order_no=self._next("O"), voucher="auto" if use_voucher else None,
                               use_points=use_points, use_wallet=use_wallet, elec_fee_fen=elec, service_fee_fen=service,
                               start_time=f.local(2026, 3, 12, 11), end_time=f.local(2026, 3, 12, 12))
        body, created = settle(self.ctx, order)
        assert created
        self.orders[order.order_no] = {"member": order.member_id, "paid": body["wallet_paid_fen"] + body["due_fen"],
                                       "refunded": 0, "status": "settled"}

    @rule(data=st.data(), amount=st.one_of(st.none(), st.integers(1, 3000)))
    def refund(self, data, amount):
        if not self.orders:
            return
        order_no = data.draw(st.sampled_from(sorted(self.orders)))
        model = self.orders[order_no]
        refund_no = self._next("RF")
        try:
            body, created = refunds.refund(self.ctx, order_no=order_no, refund_no=refund_no, amount_fen=amount)
        except Conflict as refused:
            if refused.code == "refund.order_refunded":
                assert model["status"] == "refunded"
            else:
                assert refused.code == "refund.too_much" and amount > model["paid"] - model["refunded"]
            return
        assert created and model["status"] != "refunded"
        left = model["paid"] - model["refunded"]
        assert body["amount_fen"] == (left if amount is None else amount) <= left
        model["refunded"] += body["amount_fen"]
        model["status"] = "refunded" if model["refunded"] == model["paid"] else "partially_refunded"
        assert body["order_status"] == model["status"]
        self.refunds[refund_no] = (order_no, amount, body.as_dict())

    @rule(data=st.data())
    def repeat_a_refund(self, data):
        if not self.refunds:
            return
        refund_no = data.draw(st.sampled_from(sorted(self.refunds)))
        order_no, amount, first = self.refunds[refund_no]
        body, created = refunds.refund(self.ctx, order_no=order_no, refund_no=refund_no, amount_fen=amount)
        assert not created and body == first

    # --- invariants (product.md) ------------------------------------------------------------------------
    @invariant()
    def wallets_equal_their_ledgers_and_are_never_negative(self):
        with self.ctx.db.read() as conn:
            rows = conn.execute(select(members.c.id, members.c.wallet_balance_fen, select(
                func.coalesce(func.sum(wallet_ledger.c.amount_fen), 0)).where(
                wallet_ledger.c.member_id == members.c.id).scalar_subquery().label("ledger"))).all()
        assert all(r.wallet_balance_fen == r.ledger >= 0 for r in rows)
        assert wallet.reconcile_wallets(self.ctx) == []

    @invariant()
    def points_equal_their_lots_and_their_ledger(self):
        with self.ctx.db.read() as conn:
            for member_id in self.members:
                balance = conn.execute(select(members.c.points_balance).where(members.c.id == member_id)).scalar_one()
                lots = conn.execute(select(func.coalesce(func.sum(points_lots.c.remaining), 0))
                                    .where(points_lots.c.member_id == member_id)).scalar_one()
                ledger = conn.execute(select(func.coalesce(func.sum(points_ledger.c.points), 0))
                                      .where(points_ledger.c.member_id == member_id)).scalar_one()
                assert balance == lots == ledger >= 0

    @invariant()
    def refunds_never_exceed_what_an_order_was_paid(self):
        with self.ctx.db.read() as conn:
            stored = {r.order_no: r for r in conn.execute(select(charge_orders))}
            sums = dict(conn.execute(select(charge_order_refunds.c.order_no, func.sum(charge_order_refunds.c.amount_fen))
                                     .group_by(charge_order_refunds.c.order_no)).all())
        for order_no, model in self.orders.items():
            row = stored[order_no]
            assert row.refunded_fen == sums.get(order_no, 0) == model["refunded"] <= row.wallet_paid_fen + row.due_fen
            assert row.status == model["status"]
        assert reconcile_refunds(self.ctx) == []

    @invariant()
    def a_voucher_is_used_by_at_most_one_order_and_an_order_uses_at_most_one(self):
        with self.ctx.db.read() as conn:
            used = conn.execute(select(vouchers.c.id, vouchers.c.used_order_no).where(vouchers.c.status == "used")).all()
            held = conn.execute(select(charge_orders.c.order_no, charge_orders.c.voucher_id, charge_orders.c.status)
                                .where(charge_orders.c.voucher_id.is_not(None))).all()
        assert len({u.used_order_no for u in used}) == len(used)
        assert len({h.voucher_id for h in held}) == len(held)
        assert {(u.id, u.used_order_no) for u in used} == {(h.voucher_id, h.order_no) for h in held}
        assert all(h.status != "refunded" for h in held)  # a fully refunded order lets go of its voucher

    @invariant()
    def a_campaign_never_gives_more_than_its_budget_and_counts_what_it_gave(self):
        with self.ctx.db.read() as conn:
            campaign = conn.execute(select(campaigns).where(campaigns.c.id == self.campaign)).one()
            given = conn.execute(select(func.count()).select_from(campaign_packages).where(
                campaign_packages.c.campaign_id == self.campaign, campaign_packages.c.revoked_at.is_(None))).scalar_one()
            stray = conn.execute(select(func.count()).select_from(vouchers).outerjoin(
                campaign_packages, campaign_packages.c.id == vouchers.c.package_id).where(
                vouchers.c.campaign_id.is_not(None), campaign_packages.c.campaign_id != vouchers.c.campaign_id)).scalar_one()
            unrevoked_of_revoked = conn.execute(select(func.count()).select_from(vouchers).join(
                campaign_packages, campaign_packages.c.id == vouchers.c.package_id).where(
                campaign_packages.c.revoked_at.is_not(None), vouchers.c.status != "revoked")).scalar_one()
        assert campaign.packages_given == given <= campaign.total_packages
        assert stray == 0 and unrevoked_of_revoked == 0


def _consumption_campaign(ctx, template_id: int) -> int:
    """Amount metric, tiers at 20 and 50 yuan, a budget of 3 packages."""
    now = ctx.clock.now()
    reward = [{"template_id": template_id, "quantity": 1}]
    with ctx.db.write() as conn:
        return conn.execute(insert(campaigns).values(
            type="consumption", status="active", name="消费活动", start_at=f.local(2026, 3, 1), end_at=f.local(2026, 4, 1),
            rules_text="规则", total_packages=3, reward=[], metric="amount", published_at=now, created_at=now,
            updated_at=now, tiers=[{"threshold": 2000, "reward": reward}, {"threshold": 5000, "reward": reward}],
        )).inserted_primary_key[0]


def test_money_invariants_hold_after_any_sequence_of_settlements_refunds_and_recharges(ctx):
    machine = type("Money", (MoneyMachine,), {"ctx": ctx})
    machine.TestCase.settings = settings(max_examples=10, stateful_step_count=25, deadline=None,
                                         suppress_health_check=list(HealthCheck))
    machine.TestCase().runTest()
