"""Messages members get about their money and campaigns, on both engines: the wallet paying an order
(wallet_paid, also queued as a webhook) and the countdown's end time in the operator's zone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from evperks.db.tables import messages, outbox
from evperks.db.tables_wallet import wallet_ledger
from evperks.services import wallet
from evperks.services.campaigns.notifications import send_countdowns
from evperks.services.context import Context
from evperks.services.messages import list_messages
from evperks.services.settlement import settle
from tests import factories as f
from tests.integration.test_campaign_triggers import energy_campaign


@pytest.fixture
def hooked(ctx) -> Context:
    """The context with a webhook configured, so every message is queued in the outbox too."""
    settings = ctx.settings.model_copy(update={"webhook_url": "http://127.0.0.1:9/hook", "webhook_secret": "s"})
    hooked = Context(db=ctx.db, clock=ctx.clock, settings=settings)
    hooked.clock.move_to(f.local(2026, 3, 12, 12))
    f.station(hooked)
    return hooked


def with_balance(ctx, fen: int) -> str:
    member_id = f.member(ctx)["id"]
    wallet.create_recharge(ctx, order_no=f"R-{member_id}", member_id=member_id, amount_fen=fen)
    wallet.confirm_recharge(ctx, order_no=f"R-{member_id}", provider_txn_id=f"T-{member_id}")
    return member_id


def sent(ctx, member_id: str, type: str) -> list[dict]:
    with ctx.db.read() as conn:
        return [r.data for r in conn.execute(select(messages.c.data).where(
            messages.c.member_id == member_id, messages.c.type == type).order_by(messages.c.id))]


def test_a_settlement_the_wallet_pays_tells_the_member_with_the_order_and_the_balance_left(hooked):
    member_id = with_balance(hooked, 5000)
    body, _ = settle(hooked, f.charge_order(member_id, order_no="ORD-W1", voucher=None, use_wallet=True))
    assert body["wallet_paid_fen"] == 2800
    assert sent(hooked, member_id, "wallet_paid") == [{"order_no": "ORD-W1", "amount_fen": 2800, "wallet_balance_fen": 2200}]
    newest = list_messages(hooked, member_id=member_id).items[0]
    assert (newest.type, newest.read_at) == ("wallet_paid", None)
    with hooked.db.read() as conn:
        queued = [r.payload for r in conn.execute(select(outbox).order_by(outbox.c.id))]
    assert [q["data"] for q in queued if q["type"] == "wallet_paid"] == [
        {"order_no": "ORD-W1", "amount_fen": 2800, "wallet_balance_fen": 2200}]


def test_settling_the_same_order_again_sends_no_second_message(hooked):
    member_id = with_balance(hooked, 5000)
    order = f.charge_order(member_id, order_no="ORD-W2", voucher=None, use_wallet=True)
    settle(hooked, order)
    settle(hooked, order)
    assert len(sent(hooked, member_id, "wallet_paid")) == 1


def test_an_order_the_wallet_does_not_pay_sends_no_wallet_message(hooked):
    member_id = with_balance(hooked, 5000)
    empty = f.member(hooked)["id"]
    settle(hooked, f.charge_order(member_id, voucher=None, use_wallet=False))
    settle(hooked, f.charge_order(empty, voucher=None, use_wallet=True))
    assert sent(hooked, member_id, "wallet_paid") == sent(hooked, empty, "wallet_paid") == []


def test_parallel_settlements_send_one_message_per_wallet_payment_and_the_balances_they_name_are_the_ledgers(hooked):
    member_id = with_balance(hooked, 10000)
    orders = [f.charge_order(member_id, voucher=None, use_wallet=True) for _ in range(8)]  # 28 yuan each
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda o: settle(hooked, o), orders))
    with hooked.db.read() as conn:
        payments = {r.ref: (-r.amount_fen, r.balance_after_fen) for r in conn.execute(
            select(wallet_ledger).where(wallet_ledger.c.member_id == member_id, wallet_ledger.c.kind == "payment"))}
    told = {m["order_no"]: (m["amount_fen"], m["wallet_balance_fen"]) for m in sent(hooked, member_id, "wallet_paid")}
    assert told == payments
    assert sum(paid for paid, _ in told.values()) == 10000
    assert len(told) == 4  # 28 + 28 + 28 + 16 yuan


def test_the_countdown_message_gives_the_end_in_the_operator_zone_like_the_other_messages(hooked):
    member_id = f.member(hooked)["id"]
    energy_campaign(hooked, countdown_days=3, bound=(member_id,), end=f.local(2026, 4, 1))
    settle(hooked, f.charge_order(member_id, energy_wh=5_000, voucher=None))
    hooked.clock.move_to(f.local(2026, 3, 29, 9))
    assert send_countdowns(hooked) == 1
    (message,) = sent(hooked, member_id, "campaign_countdown")
    assert message["end_at"] == "2026-04-01T00:00:00+08:00"
