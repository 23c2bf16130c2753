"""``evperks check`` also proves the holds: members' held sums are their open sessions', and a held voucher
and the session holding it name each other."""

from __future__ import annotations

from sqlalchemy import update
from typer.testing import CliRunner

from evperks.cli import app
from evperks.db.tables import members, vouchers
from evperks.services import sessions, wallet
from evperks.services.sessions.reconcile import reconcile_holds
from tests import factories as f


def test_holds_reconcile_until_a_sum_or_a_voucher_is_tampered_with(ctx, database_url, monkeypatch):
    ctx.clock.move_to(f.local(2026, 3, 12, 10))
    f.station(ctx)
    member = f.member(ctx)["id"]
    wallet.create_recharge(ctx, order_no="R1", member_id=member, amount_fen=5000)
    wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    [voucher, other] = f.give(ctx, member, f.template(ctx)["id"], 2)
    sessions.open_session(ctx, sessions.SessionRequest(session_id="CS", member_id=member, station_id="S1",
                                                       voucher=voucher, use_wallet=True, wallet_hold_fen=2000))
    assert reconcile_holds(ctx) == []
    monkeypatch.setenv("EVPERKS_DATABASE_URL", database_url)
    assert CliRunner().invoke(app, ["check"]).exit_code == 0
    with ctx.db.write() as conn:
        conn.execute(update(members).where(members.c.id == member).values(wallet_held_fen=1500))
        conn.execute(update(vouchers).where(vouchers.c.id == other).values(held_by_session="CS"))
    problems = reconcile_holds(ctx)
    assert problems == [f"member {member}: holds 1500 fen and 0 points, its open sessions 2000 fen and 0 points",
                        f"voucher {other}: held by 'CS', open session holding it None"]
    bad = CliRunner().invoke(app, ["check"])
    assert bad.exit_code == 1 and f"holds: member {member}" in bad.output
