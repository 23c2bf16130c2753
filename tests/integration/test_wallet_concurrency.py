"""Wallet money under parallel requests: confirmations credit once, settlements never overdraw."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from evperks.config import Settings
from evperks.db.tables import charge_orders, members
from evperks.db.tables_wallet import wallet_ledger
from evperks.services import wallet
from evperks.services.context import Context
from evperks.services.errors import Conflict
from evperks.services.settlement import settle
from tests import factories as f


@pytest.fixture
def member_id(ctx):
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    f.station(ctx)
    return f.member(ctx)["id"]


def wallet_state(ctx, member_id: str) -> tuple[int, int, int]:
    """(balance, ledger sum, ledger rows)."""
    with ctx.db.read() as conn:
        balance = conn.execute(select(members.c.wallet_balance_fen).where(members.c.id == member_id)).scalar_one()
        total, rows = conn.execute(
            select(func.coalesce(func.sum(wallet_ledger.c.amount_fen), 0), func.count())
            .where(wallet_ledger.c.member_id == member_id)
        ).one()
    return balance, total, rows


def test_ten_parallel_confirmations_credit_the_wallet_once(ctx, member_id):
    wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=10000)
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1"), range(10)))
    assert all(a == answers[0] for a in answers)
    assert answers[0]["wallet_balance_fen"] == 10000
    assert wallet_state(ctx, member_id) == (10000, 10000, 1)


def test_parallel_confirmations_of_different_recharges_of_one_member_all_credit(ctx, member_id):
    for n in range(10):
        wallet.create_recharge(ctx, order_no=f"R{n}", member_id=member_id, amount_fen=5000)
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda n: wallet.confirm_recharge(ctx, order_no=f"R{n}", provider_txn_id=f"T{n}"), range(10)))
    assert wallet_state(ctx, member_id) == (50000, 50000, 10)
    assert wallet.reconcile_wallets(ctx) == []


def _confirm_in_child(database_url: str, queue) -> None:
    ctx = Context.from_settings(Settings(database_url=database_url, sandbox=True, scheduler=False))
    queue.put([wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1") for _ in range(3)])


def test_one_provider_transaction_confirmed_for_two_members_in_parallel_pays_one_recharge(ctx, member_id):
    other_id = f.member(ctx)["id"]
    pairs = [(f"A{n}", f"B{n}", f"TXN-{n}") for n in range(5)]
    for mine, theirs, _ in pairs:
        wallet.create_recharge(ctx, order_no=mine, member_id=member_id, amount_fen=10000)
        wallet.create_recharge(ctx, order_no=theirs, member_id=other_id, amount_fen=10000)

    def confirm(order_no: str, txn: str):
        try:
            return wallet.confirm_recharge(ctx, order_no=order_no, provider_txn_id=txn)
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(2) as pool:
        for mine, theirs, txn in pairs:
            answers = list(pool.map(confirm, (mine, theirs), (txn, txn)))
            assert sorted(type(a).__name__ for a in answers) == ["Confirmed", "Conflict"]
            assert next(a for a in answers if isinstance(a, Conflict)).errors[0].field == "provider_txn_id"
    credited = wallet_state(ctx, member_id)[0] + wallet_state(ctx, other_id)[0]
    assert credited == 10000 * len(pairs)
    assert wallet.reconcile_wallets(ctx) == []


def test_separate_processes_confirming_one_recharge_credit_it_once(ctx, member_id, database_url):
    wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=10000)
    spawn = multiprocessing.get_context("spawn")
    queue = spawn.Queue()
    children = [spawn.Process(target=_confirm_in_child, args=(database_url, queue)) for _ in range(10)]
    for child in children:
        child.start()
    answers = [a for _ in children for a in queue.get(timeout=120)]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0
    assert len(answers) == 30 and all(a == answers[0] for a in answers)
    assert wallet_state(ctx, member_id) == (10000, 10000, 1)


def test_eight_parallel_settlements_pay_exactly_the_100_yuan_in_the_wallet(ctx, member_id):
    wallet.create_recharge(ctx, order_no="R1", member_id=member_id, amount_fen=10000)
    wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    orders = [f.charge_order(member_id, voucher=None, use_wallet=True) for _ in range(8)]  # 28 yuan each
    with ThreadPoolExecutor(8) as pool:
        bodies = [body for body, _ in pool.map(lambda o: settle(ctx, o), orders)]
    assert sum(b["wallet_paid_fen"] for b in bodies) == 10000
    assert sum(b["due_fen"] for b in bodies) == 8 * 2800 - 10000
    assert all(b["wallet_paid_fen"] + b["due_fen"] == 2800 for b in bodies)
    balance, total, rows = wallet_state(ctx, member_id)
    assert (balance, total) == (0, 0)
    with ctx.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(charge_orders)).scalar_one() == 8
        paid_rows = conn.execute(select(func.sum(wallet_ledger.c.amount_fen)).where(wallet_ledger.c.kind == "payment"))
        assert paid_rows.scalar_one() == -10000
    assert wallet.reconcile_wallets(ctx) == []
