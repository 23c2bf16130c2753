"""Recharges, refunds and reconciliation through the services, on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select, update

from evperks.db.tables import members, messages
from evperks.db.tables_wallet import recharges, wallet_ledger
from evperks.services import wallet
from evperks.services.errors import Conflict, Invalid, NotFound
from tests import factories as f


@pytest.fixture
def member_id(ctx):
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    return f.member(ctx)["id"]


def balance(ctx, member_id: str) -> int:
    with ctx.db.read() as conn:
        return conn.execute(select(members.c.wallet_balance_fen).where(members.c.id == member_id)).scalar_one()


def ledger_rows(ctx, member_id: str) -> list:
    with ctx.db.read() as conn:
        return conn.execute(select(wallet_ledger).where(wallet_ledger.c.member_id == member_id)
                            .order_by(wallet_ledger.c.id)).all()


def test_a_confirmed_recharge_credits_the_wallet_once_and_repeats_return_the_same_answer(ctx, member_id):
    wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=10000)
    first = wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    again = wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1", amount_fen=10000)
    assert first == again == {"order_no": "R1", "status": "paid", "amount_fen": 10000, "wallet_balance_fen": 10000,
                              "rewards": []}
    assert balance(ctx, member_id) == 10000
    [row] = ledger_rows(ctx, member_id)
    assert (row.amount_fen, row.balance_after_fen, row.kind, row.ref) == (10000, 10000, "recharge", "R1")


def test_a_repeat_after_spending_still_returns_the_balance_right_after_the_credit(ctx, member_id):
    wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=10000)
    wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    wallet.refund_wallet(ctx, member_id=member_id, amount_fen=3000, reason="退款")
    assert wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")["wallet_balance_fen"] == 10000
    assert balance(ctx, member_id) == 7000


def test_crediting_posts_a_recharge_credited_message(ctx, member_id):
    wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=5000)
    wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    with ctx.db.read() as conn:
        sent = conn.execute(select(messages.c.type, messages.c.data).where(messages.c.member_id == member_id)).all()
    assert sent == [("recharge_credited", {"order_no": "R1", "amount_fen": 5000, "wallet_balance_fen": 5000})]


def test_confirming_refuses_unknown_orders_wrong_amounts_and_cancelled_orders(ctx, member_id):
    with pytest.raises(NotFound):
        wallet.confirm_recharge(ctx, order_no="nope", provider_txn_id="T1")
    wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=5000)
    with pytest.raises(Conflict) as wrong:
        wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1", amount_fen=4999)
    assert wrong.value.errors[0].field == "amount_fen"
    wallet.cancel_recharge(ctx, order_no="R1")
    with pytest.raises(Conflict):
        wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    assert balance(ctx, member_id) == 0 and ledger_rows(ctx, member_id) == []


def test_one_provider_transaction_cannot_pay_two_recharges_nor_one_recharge_be_paid_twice(ctx, member_id):
    wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=5000)
    wallet.create_recharge(ctx, order_no="R2", member_id=member_id, amount_fen=5000)
    wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    with pytest.raises(Conflict) as reused:
        wallet.confirm_recharge(ctx, order_no="R2", provider_txn_id="T1")
    assert reused.value.errors[0].field == "provider_txn_id"
    with pytest.raises(Conflict):
        wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T-other")
    assert balance(ctx, member_id) == 5000


def test_a_paid_recharge_cannot_be_cancelled_and_cancelling_twice_is_harmless(ctx, member_id):
    wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=5000)
    wallet.create_recharge(ctx, order_no="R2", member_id=member_id, amount_fen=5000)
    wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    with pytest.raises(Conflict):
        wallet.cancel_recharge(ctx, order_no="R1")
    assert wallet.cancel_recharge(ctx, order_no="R2")["status"] == "cancelled"
    assert wallet.cancel_recharge(ctx, order_no="R2")["status"] == "cancelled"
    with pytest.raises(NotFound):
        wallet.cancel_recharge(ctx, order_no="nope")


def test_creating_again_with_the_same_content_returns_it_and_with_other_content_is_a_conflict(ctx, member_id):
    first, created = wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=5000)
    again, created_again = wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=5000)
    assert (created, created_again, first) == (True, False, again)
    with pytest.raises(Conflict):
        wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=10000)


def test_amounts_are_refused_per_the_saved_settings(ctx, member_id):
    wallet.put_settings(ctx, min_recharge_fen=2000, denominations_fen=[10000, 5000], allow_custom_amount=False)
    assert wallet.get_settings(ctx)["denominations_fen"] == [5000, 10000]
    with pytest.raises(Invalid) as refused:
        wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=3000)
    assert refused.value.errors[0].field == "amount_fen"
    wallet.put_settings(ctx, min_recharge_fen=2000, denominations_fen=[5000], allow_custom_amount=True)
    assert wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=3000)[1]
    with pytest.raises(Invalid):
        wallet.create_recharge(ctx, order_no="R2", member_id=member_id, amount_fen=1999)
    with pytest.raises(Invalid) as unknown:
        wallet.create_recharge(ctx, order_no="R3", member_id="nobody", amount_fen=5000)
    assert unknown.value.errors[0].field == "member_id"


def test_a_refund_takes_at_most_the_balance_and_is_a_ledger_row_with_its_reason(ctx, member_id):
    wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=5000)
    wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    with pytest.raises(Conflict):
        wallet.refund_wallet(ctx, member_id=member_id, amount_fen=5001, reason="退余额")
    refund, created = wallet.refund_wallet(ctx, member_id=member_id, amount_fen=5000, reason="退余额", refund_no="RF1")
    replay, created_again = wallet.refund_wallet(ctx, member_id=member_id, amount_fen=5000, reason="退余额", refund_no="RF1")
    assert (created, created_again, refund) == (True, False, replay)
    assert refund["wallet_balance_fen"] == 0 and balance(ctx, member_id) == 0
    assert [(r.amount_fen, r.kind, r.reason) for r in ledger_rows(ctx, member_id)] == [
        (5000, "recharge", None), (-5000, "refund", "退余额")]
    with pytest.raises(NotFound):
        wallet.refund_wallet(ctx, member_id="nobody", amount_fen=1, reason="x")


def test_reconciliation_finds_nothing_wrong_after_normal_use_and_reports_a_tampered_balance(ctx, member_id):
    wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=5000)
    wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    wallet.refund_wallet(ctx, member_id=member_id, amount_fen=1000, reason="退余额")
    assert wallet.reconcile_wallets(ctx) == []
    with ctx.db.write() as conn:
        conn.execute(update(members).where(members.c.id == member_id).values(wallet_balance_fen=9999))
        conn.execute(insert(recharges).values(order_no="R9", member_id=member_id, amount_fen=100, status="paid",
                                              provider="platform", provider_txn_id="T9",
                                              created_at=f.local(2026, 3, 10, 9)))
    problems = wallet.reconcile_wallets(ctx)
    assert any(f"member {member_id}: wallet balance 9999 fen but ledger sum 4000 fen" in p for p in problems)
    assert any("recharge R9" in p for p in problems)


def test_member_ledger_is_newest_first_with_cursor_pages(ctx, member_id):
    for n in range(3):
        wallet.create_recharge(ctx, order_no=f"R{n}", member_id=member_id, amount_fen=5000)
        wallet.confirm_recharge(ctx, order_no=f"R{n}", provider_txn_id=f"T{n}")
    first = wallet.member_ledger(ctx, member_id=member_id, limit=2)
    second = wallet.member_ledger(ctx, member_id=member_id, limit=2, cursor=first["next_cursor"])
    assert [e["ref"] for e in first["items"] + second["items"]] == ["R2", "R1", "R0"]
    assert [e["balance_after_fen"] for e in first["items"] + second["items"]] == [15000, 10000, 5000]
    assert second["next_cursor"] is None
    with ctx.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(wallet_ledger)).scalar_one() == 3
