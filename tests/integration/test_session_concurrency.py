"""Charge sessions under parallel requests, on both engines: starts never hold more than the balance,
one voucher is held once, and settle and cancel of one session exclude each other."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from evperks.db.tables import charge_sessions, members, vouchers
from evperks.services import sessions, wallet
from evperks.services.access import create_api_key
from evperks.services.errors import Conflict
from evperks.services.sessions import FinalAmounts, SessionRequest
from tests import factories as f
from tests.live import serving

PARALLEL = 12


def _attempt(call):
    try:
        return call()
    except Conflict as exc:
        return exc


def _parallel(calls) -> list:
    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(_attempt, calls))


def _funded_member(ctx, amount_fen: int) -> str:
    ctx.clock.move_to(f.local(2026, 3, 12, 9))
    f.station(ctx)
    member = f.member(ctx)["id"]
    wallet.create_recharge(ctx, order_no="R1", member_id=member, amount_fen=amount_fen)
    wallet.confirm_recharge(ctx, order_no="R1", provider_txn_id="T1")
    ctx.clock.move_to(f.local(2026, 3, 12, 11, 5))
    return member


def _holds(ctx, member: str) -> tuple[int, int, int]:
    with ctx.db.read() as conn:
        row = conn.execute(select(members).where(members.c.id == member)).one()
        summed = conn.execute(select(func.coalesce(func.sum(charge_sessions.c.wallet_held_fen), 0))
                              .where(charge_sessions.c.status == "open")).scalar_one()
    return row.wallet_balance_fen, row.wallet_held_fen, summed


def test_parallel_starts_never_hold_more_than_the_balance(ctx):
    member = _funded_member(ctx, 10_000)
    requests = [SessionRequest(session_id=f"CS-{n}", member_id=member, station_id="S1", use_wallet=True,
                               wallet_hold_fen=3000) for n in range(PARALLEL)]
    results = _parallel([lambda r=r: sessions.open_session(ctx, r) for r in requests])
    opened = [r for r in results if not isinstance(r, Conflict)]
    assert len(opened) == 3  # 3 × 3000 ≤ 10000 < 4 × 3000
    assert {r.code for r in results if isinstance(r, Conflict)} == {"session.hold_exceeds_available"}
    assert _holds(ctx, member) == (10_000, 9000, 9000)


def test_parallel_starts_naming_one_voucher_hold_it_once(ctx):
    member = _funded_member(ctx, 100)
    [voucher] = f.give(ctx, member, f.template(ctx)["id"])
    requests = [SessionRequest(session_id=f"CS-{n}", member_id=member, station_id="S1", voucher=voucher)
                for n in range(PARALLEL)]
    results = _parallel([lambda r=r: sessions.open_session(ctx, r) for r in requests])
    winners = [r[0]["session_id"] for r in results if not isinstance(r, Conflict)]
    assert len(winners) == 1
    with ctx.db.read() as conn:
        assert conn.execute(select(vouchers.c.held_by_session).where(vouchers.c.id == voucher)).scalar() == winners[0]


def test_parallel_settles_and_cancels_of_one_session_close_it_once(ctx):
    member = _funded_member(ctx, 10_000)
    sessions.open_session(ctx, SessionRequest(session_id="CS", member_id=member, station_id="S1", use_wallet=True,
                                              started_at=f.local(2026, 3, 12, 10)))
    final = FinalAmounts(order_no="ORD", end_time=f.local(2026, 3, 12, 11), energy_wh=20_000, elec_fee_fen=2000,
                         service_fee_fen=800)
    calls = [(lambda: sessions.settle_session(ctx, "CS", final)) if n % 2 else (lambda: sessions.cancel_session(ctx, "CS"))
             for n in range(PARALLEL)]
    results = _parallel(calls)
    created = [r for r in results if not isinstance(r, Conflict) and r[1]]
    assert len(created) == 1
    status = sessions.get_session(ctx, "CS")["status"]
    kind_of_winner = "settled" if "total_fen" in created[0][0] else "cancelled"
    assert status == kind_of_winner
    refused = {r.code for r in results if isinstance(r, Conflict)}
    assert refused <= {"session.settled", "session.cancelled"}
    balance, held, summed = _holds(ctx, member)
    assert (held, summed) == (0, 0)
    assert balance == (10_000 - 2800 if status == "settled" else 10_000)


def test_sixteen_parallel_http_starts_on_one_wallet_hold_at_most_the_balance(ctx):
    member = _funded_member(ctx, 10_000)
    key = create_api_key(ctx, name="platform", role="platform")
    bodies = [{"session_id": f"HTTP-{n}", "member_id": member, "station_id": "S1", "use_wallet": True,
               "wallet_hold_fen": 2500} for n in range(16)]
    with serving(ctx) as base_url, httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"},
                                                timeout=60) as client:
        with ThreadPoolExecutor(16) as pool:
            statuses = Counter(r.status_code for r in pool.map(
                lambda b: client.post("/api/v1/charge-sessions", json=b), bodies))
        shown = client.get(f"/api/v1/members/{member}").json()
    assert statuses == {201: 4, 409: 12}
    assert (shown["wallet_balance_fen"], shown["wallet_available_fen"]) == (10_000, 0)
    assert _holds(ctx, member) == (10_000, 10_000, 10_000)
