"""Refunds under concurrency, on both engines: refunds racing settlements of the same member keep every
balance equal to its ledger and never return more than was paid; the same refund_no sent from many
threads at once refunds once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from evperks.db.tables import charge_order_refunds
from evperks.services import members, wallet
from evperks.services.errors import Conflict
from evperks.services.points import ledger as points_ledger
from evperks.services.settlement import get_order, refunds, settle
from evperks.services.settlement.refund_checks import reconcile_refunds
from tests import factories as f


def _member_with_an_order(ctx) -> tuple[str, str]:
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    f.station(ctx)
    member_id = f.member(ctx)["id"]
    wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=50_000)
    wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    body, _ = settle(ctx, f.charge_order(member_id, order_no="O-0", voucher=None, use_wallet=True))
    assert body["wallet_paid_fen"] == 2800
    return member_id, "O-0"


def test_refunds_racing_settlements_of_the_same_member_stop_at_what_was_paid_and_keep_the_ledgers(ctx):
    member_id, order_no = _member_with_an_order(ctx)

    def work(n: int) -> str:
        if n % 2:
            settle(ctx, f.charge_order(member_id, order_no=f"O-{n}", voucher=None, use_wallet=True))
            return "settled"
        try:
            refunds.refund(ctx, order_no=order_no, refund_no=f"RF-{n}", amount_fen=500)
        except Conflict as refused:
            assert refused.code == "refund.too_much"
            return "refused"
        return "refunded"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(work, range(24)))

    assert outcomes.count("refunded") == 5 and outcomes.count("refused") == 7  # 5 × 500 ≤ 2800 < 6 × 500
    assert get_order(ctx, order_no)["refunded_fen"] == 2500
    assert members.get_member(ctx, member_id)["wallet_balance_fen"] == 50_000 - 13 * 2800 + 2500
    assert wallet.reconcile_wallets(ctx) == [] and points_ledger.reconcile_points(ctx) == []
    assert reconcile_refunds(ctx) == []


def test_the_same_refund_no_from_many_threads_refunds_once(ctx):
    _, order_no = _member_with_an_order(ctx)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: refunds.refund(ctx, order_no=order_no, refund_no="RF-1", amount_fen=700),
                                range(8)))

    assert [created for _, created in answers].count(True) == 1
    assert all(body == answers[0][0] for body, _ in answers)
    with ctx.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(charge_order_refunds)).scalar_one() == 1
    assert get_order(ctx, order_no)["refunded_fen"] == 700
    assert wallet.reconcile_wallets(ctx) == [] and reconcile_refunds(ctx) == []
