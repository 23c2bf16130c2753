"""Refunds per second (``services.settlement.refunds.refund``) beside a raw-SQL baseline of the same writes,
on the orders the in-process settlement run just settled (bench/settle.py calls ``refund_report``).

Every order gets two partial refunds of 10 yuan (its due_fen is 23 or 28 yuan): one through the driver
with no SQLAlchemy — the member row locked, the guarded UPDATE of the order's refunded_fen, the refund
row, the member's message and the audit row, one transaction each — and one through the use case.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
from psycopg.types.json import Json
from sqlalchemy.engine import make_url

from evperks.services.context import Context
from evperks.services.settlement import refunds

AMOUNT_FEN = 1000
_LOCK = "SELECT id FROM members WHERE id = {p} FOR UPDATE"
_ORDER = ("UPDATE charge_orders SET refunded_fen = refunded_fen + {p}, status = 'partially_refunded' "
          "WHERE order_no = {p} AND refunded_fen + {p} <= wallet_paid_fen + due_fen RETURNING member_id")
_REFUND = ("INSERT INTO charge_order_refunds (refund_no, order_no, member_id, amount_fen, external_fen, wallet_fen, "
           "points_returned, voucher_returned, points_clawed_back, fingerprint, result, created_at) "
           "VALUES ({p}, {p}, {p}, {p}, {p}, 0, 0, {false}, 0, {p}, {p}, {p})")
_MESSAGE = "INSERT INTO messages (member_id, type, data, created_at) VALUES ({p}, 'order_refunded', {p}, {p})"
_AUDIT = ("INSERT INTO audit_log (at, actor, action, target_type, target_id, before, after) "
          "VALUES ({p}, 'api', 'refund_order', 'charge_order', {p}, {p}, {p})")


def refund_report(ctx: Context, seeded, orders: dict[int, int], measured: Callable, repeat: Callable, p) -> dict:
    """``orders``: thread count → how many orders ``ip{threads}-{i}`` the settlement run settled."""
    raw = {t: _raw(ctx, seeded, t, n, measured, repeat, p) for t, n in orders.items()}
    used = {t: measured(ctx, lambda t=t, n=n: repeat(t, n, p.seconds, lambda _, i, t=t: refunds.refund(
        ctx, order_no=f"ip{t}-{i}", refund_no=f"rf{t}-{i}", amount_fen=AMOUNT_FEN))) for t, n in orders.items()}
    return {
        "raw_refund_per_s": {f"threads_{t}": r.per_s for t, r in raw.items()},
        "refund_in_process_per_s": {f"threads_{t}": r.per_s for t, r in used.items()},
        "ratio_refund_in_process": {f"threads_{t}": round(used[t].per_s / raw[t].per_s, 3) for t in orders
                                    if raw[t].per_s},
        "cpu_ms_per_refund": {f"in_process_threads_{t}": r.cpu_ms_per_op() for t, r in used.items()},
    }


def _raw(ctx: Context, seeded, threads: int, n: int, measured: Callable, repeat: Callable, p):
    url = make_url(seeded.url)
    sqlite = url.get_backend_name() == "sqlite"
    marks = {"p": "?" if sqlite else "%s", "false": "0" if sqlite else "false"}
    order_sql, refund_sql = _ORDER.format(**marks), _REFUND.format(**marks)
    message_sql, audit_sql = _MESSAGE.format(**marks), _AUDIT.format(**marks)
    as_json = json.dumps if sqlite else Json

    def work(conn, i: int) -> None:
        order_no, now = f"ip{threads}-{i}", datetime.now(UTC).replace(tzinfo=None)
        stamp = str(now) if sqlite else now
        body = {"refund_no": f"rr{threads}-{i}", "order_no": order_no, "amount_fen": AMOUNT_FEN}
        if sqlite:
            conn.execute("BEGIN IMMEDIATE")
        member = conn.execute(order_sql, (AMOUNT_FEN, order_no, AMOUNT_FEN)).fetchone()[0]
        if not sqlite:
            conn.execute(_LOCK.format(**marks), (member,))
        conn.execute(refund_sql, (f"rr{threads}-{i}", order_no, member, AMOUNT_FEN, AMOUNT_FEN, "f" * 64,
                                  as_json(body), stamp))
        conn.execute(message_sql, (member, as_json(body), stamp))
        conn.execute(audit_sql, (stamp, order_no, as_json({"refunded_fen": 0}), as_json(body)))
        conn.execute("COMMIT") if sqlite else conn.commit()

    if sqlite:
        import sqlite3  # noqa: PLC0415

        def connect():
            conn = sqlite3.connect(url.database, isolation_level=None, check_same_thread=False, timeout=30)
            for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
                conn.execute(f"PRAGMA {pragma}")
            return conn
    else:
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)

        def connect():
            return psycopg.connect(conninfo)

    connections = [connect() for _ in range(threads)]
    try:
        return measured(ctx, lambda: repeat(threads, n, p.seconds, work, connections))
    finally:
        for conn in connections:
            conn.close()
