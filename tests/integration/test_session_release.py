"""The release job cancels every session open past hold_hours, batch after batch, each release exact,
and leaves younger sessions and settled ones alone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from evperks.db.tables import members
from evperks.services import sessions, wallet
from evperks.services.sessions import closing
from evperks.services.sessions.reconcile import reconcile_holds
from tests import factories as f


def test_the_release_job_cancels_every_overdue_session_in_batches_and_only_those(ctx, monkeypatch):
    monkeypatch.setattr(closing, "RELEASE_BATCH", 3)
    start = f.local(2026, 3, 12, 8)
    ctx.clock.move_to(start)
    f.station(ctx)
    wallet.put_settings(ctx, min_recharge_fen=100, denominations_fen=[5000], allow_custom_amount=True, hold_hours=2)
    payer = f.member(ctx)["id"]
    wallet.create_recharge(ctx, order_no="R1", member_id=payer, amount_fen=10_000)
    wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    ctx.clock.move_to(start + timedelta(minutes=45))
    for n in range(7):  # started 08:00 … 08:30, each holding 1000: due at 10:00 … 10:30
        sessions.open_session(ctx, sessions.SessionRequest(
            session_id=f"OLD-{n}", member_id=payer, station_id="S1", started_at=start + timedelta(minutes=5 * n),
            use_wallet=True, wallet_hold_fen=1000))
    settled_first = sessions.settle_session(ctx, "OLD-6", sessions.FinalAmounts(
        order_no="ORD-6", end_time=start + timedelta(minutes=40), energy_wh=1000, elec_fee_fen=300, service_fee_fen=0))
    assert settled_first[1]
    ctx.clock.move_to(start + timedelta(hours=2, minutes=20))  # OLD-0 … OLD-4 are overdue, OLD-5 not yet
    assert sessions.release_expired(ctx) == 5
    statuses = {f"OLD-{n}": sessions.get_session(ctx, f"OLD-{n}")["status"] for n in range(7)}
    assert statuses == {**{f"OLD-{n}": "cancelled" for n in range(5)}, "OLD-5": "open", "OLD-6": "settled"}
    with ctx.db.read() as conn:
        row = conn.execute(select(members).where(members.c.id == payer)).one()
    assert (row.wallet_balance_fen, row.wallet_held_fen) == (9700, 1000)
    assert reconcile_holds(ctx) == []
    assert sessions.release_expired(ctx) == 0
