"""Charge-session holds in the settlement path, measured inside ``bench/settle.py``'s run.

- ``holds_ab``: interleaved A/B of in-process settlements paying with the wallet, for members with no
  open session (A) and for members whose open session holds part of their wallet elsewhere (B). Rounds
  alternate A-B and B-A, so drift on a noisy machine cancels out; the ratio B/A should stay near 1.
- ``session_throughput``: charge sessions opened and settled (two transactions each) per second, beside
  plain settlements per second in the same run.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import bindparam, insert, update

from evperks.db.tables import members
from evperks.db.tables_wallet import wallet_ledger
from evperks.services import sessions
from evperks.services.context import Context
from evperks.services.settlement import AUTO, ChargeOrder, settle

FUND_FEN = 10_000_000  # enough that no bench order ever runs a wallet dry
HOLD_FEN = 5000


def _fund(ctx: Context, member_ids: list[str]) -> None:
    """Credit every member's wallet with its ledger row, set-based (the ledger still reconciles)."""
    now = datetime.now(UTC)
    with ctx.db.write() as conn:
        conn.execute(update(members).where(members.c.id == bindparam("m_id"))
                     .values(wallet_balance_fen=members.c.wallet_balance_fen + FUND_FEN),
                     [{"m_id": m} for m in member_ids])
        conn.execute(insert(wallet_ledger), [
            {"member_id": m, "amount_fen": FUND_FEN, "balance_after_fen": FUND_FEN, "kind": "recharge",
             "ref": f"bench-fund-{m}", "created_at": now} for m in member_ids])


def _order(seeded, member_id: str, order_no: str, i: int) -> ChargeOrder:
    return ChargeOrder(order_no=order_no, member_id=member_id, station_id="S1", start_time=seeded.start_time,
                       end_time=seeded.end_time, energy_wh=20_500, elec_fee_fen=2000, service_fee_fen=800,
                       voucher=AUTO if i % 2 == 0 else None, use_wallet=True)


def _settle_batch(ctx: Context, seeded, group: list[str], prefix: str, start: int, count: int) -> float:
    started = time.perf_counter()
    for i in range(start, start + count):
        settle(ctx, _order(seeded, group[i % len(group)], f"{prefix}-{i}", i))
    return time.perf_counter() - started


def holds_ab(ctx: Context, seeded, member_ids: list[str], *, orders: int, rounds: int = 10) -> dict:
    """Settlements/s for members without holds (A) and with an open session holding ¥50 of theirs (B)."""
    _fund(ctx, member_ids)
    plain, held = member_ids[0::2], member_ids[1::2]
    for m in held:
        sessions.open_session(ctx, sessions.SessionRequest(session_id=f"bench-hold-{m}", member_id=m, station_id="S1",
                                                           started_at=seeded.start_time, voucher=None, use_wallet=True,
                                                           wallet_hold_fen=HOLD_FEN))
    batch = max(1, orders // (2 * rounds))
    seconds = {"A": 0.0, "B": 0.0}
    ratios = []
    for r in range(rounds):
        took = {}
        for side in ("AB" if r % 2 == 0 else "BA"):
            group = plain if side == "A" else held
            took[side] = _settle_batch(ctx, seeded, group, f"hold{side}{r}", r * batch, batch)
            seconds[side] += took[side]
        ratios.append(round(took["A"] / took["B"], 3))  # rate B / rate A
    a, b = rounds * batch / seconds["A"], rounds * batch / seconds["B"]
    return {"orders_per_side": rounds * batch, "no_holds_per_s": round(a, 1), "held_elsewhere_per_s": round(b, 1),
            "ratio_held_to_no_holds": round(b / a, 3), "ratio_by_round": ratios}


def session_throughput(ctx: Context, seeded, member_ids: list[str], *, count: int) -> dict:
    """Sessions opened and settled per second (one thread), and plain settlements per second right after."""
    started = time.perf_counter()
    for i in range(count):
        member_id, session_id = member_ids[i % len(member_ids)], f"bench-cs-{i}"
        sessions.open_session(ctx, sessions.SessionRequest(session_id=session_id, member_id=member_id, station_id="S1",
                                                           started_at=seeded.start_time, use_wallet=True,
                                                           wallet_hold_fen=HOLD_FEN))
        sessions.settle_session(ctx, session_id, sessions.FinalAmounts(
            order_no=f"bench-cs-order-{i}", end_time=seeded.end_time, energy_wh=20_500, elec_fee_fen=2000,
            service_fee_fen=800))
    per_s = count / (time.perf_counter() - started)
    plain_per_s = count / _settle_batch(ctx, seeded, member_ids, "hold-plain", 0, count)
    return {"sessions": count, "open_and_settle_per_s": round(per_s, 1), "settle_per_s": round(plain_per_s, 1),
            "ratio_session_to_settle": round(per_s / plain_per_s, 3)}
