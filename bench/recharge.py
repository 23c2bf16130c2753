"""Recharge confirmations per second, beside a raw guarded-UPDATE + INSERT baseline on the same database.

    python bench/recharge.py [--engines sqlite,postgresql] [--confirms 2000] [--seconds 8] [--threads 1,4]

Per engine: a fresh database (SQLite temp file; PostgreSQL a uniquely named database, dropped at the end),
migrated, with members and pending recharges inserted set-based. Then, in one run:
  raw      per transaction one ``UPDATE recharges SET status='paid' WHERE order_no=… AND status='pending'``
           and one ``INSERT`` into wallet_ledger, straight through sqlite3 / psycopg;
  confirm  ``services.wallet.confirm_recharge`` (member lock, guarded UPDATE, balance UPDATE, ledger row,
           message, stored answer) from T threads.
Each run stops after ``--confirms`` operations or ``--seconds``, whichever comes first. Prints one JSON
document; ``ratio`` is confirm rate / raw rate measured in the same run. Afterwards every wallet is
reconciled against its ledger (``reconciled: true``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import psycopg
from scratch import fresh_database, unreachable  # bench/scratch.py
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from evperks.config import Settings
from evperks.db.tables import members
from evperks.db.tables_wallet import recharges
from evperks.services import wallet
from evperks.services.context import Context

MEMBERS = 500


def seed(ctx: Context, prefix: str, count: int) -> list[str]:
    """``count`` pending 100-yuan recharges spread over the members; their order numbers."""
    now = datetime.now(UTC)
    order_nos = [f"{prefix}{i:07d}" for i in range(count)]
    with ctx.db.write() as conn:
        conn.execute(insert(recharges), [
            {"order_no": o, "member_id": f"bm{i % MEMBERS:05d}", "amount_fen": 10000, "status": "pending",
             "provider": "platform", "created_at": now} for i, o in enumerate(order_nos)
        ])
    return order_nos


def seed_members(ctx: Context) -> None:
    now = datetime.now(UTC)
    with ctx.db.write() as conn:
        conn.execute(insert(members), [
            {"id": f"bm{i:05d}", "phone": f"139{i:08d}", "registered_at": now, "invite_code": f"BENCH{i:05d}",
             "created_at": now} for i in range(MEMBERS)
        ])


def timed(work: Callable[[str], None], order_nos: list[str], threads: int, seconds: float) -> dict:
    todo = iter(order_nos)
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    done = itertools.count()

    def worker() -> None:
        while time.perf_counter() < deadline:
            with lock:
                order_no = next(todo, None)
            if order_no is None:
                return
            work(order_no)
            next(done)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(worker) for _ in range(threads)]:
            future.result()
    elapsed = time.perf_counter() - start
    ops = next(done)
    return {"ops": ops, "seconds": round(elapsed, 3), "per_s": round(ops / elapsed, 1)}


def raw_worker(url: str) -> tuple[Callable[[str], None], Callable[[], None]]:
    """One guarded UPDATE + one INSERT per transaction, a connection per thread, straight through the driver."""
    local = threading.local()
    conns: list = []
    if url.startswith("sqlite"):
        path = make_url(url).database

        def connect():
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn

        update_sql = "UPDATE recharges SET status='paid', provider_txn_id=?, confirmed_at=? WHERE order_no=? AND status='pending'"
        insert_sql = ("INSERT INTO wallet_ledger (member_id, amount_fen, balance_after_fen, kind, ref, created_at) "
                      "VALUES (?, 10000, 10000, 'recharge', ?, ?)")
        begin = "BEGIN IMMEDIATE"
    else:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)

        def connect():
            return psycopg.connect(dsn, autocommit=True)

        update_sql = ("UPDATE recharges SET status='paid', provider_txn_id=%s, confirmed_at=%s "
                      "WHERE order_no=%s AND status='pending' RETURNING member_id")
        insert_sql = ("INSERT INTO wallet_ledger (member_id, amount_fen, balance_after_fen, kind, ref, created_at) "
                      "VALUES (%s, 10000, 10000, 'recharge', %s, %s)")
        begin = "BEGIN"

    def work(order_no: str) -> None:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = connect()
            conns.append(conn)
        now = datetime.now(UTC).replace(tzinfo=None)
        conn.execute(begin)
        conn.execute(update_sql, ("RAW-" + order_no, now, order_no))
        conn.execute(insert_sql, ("bm00000", order_no, now))
        conn.execute("COMMIT")

    return work, lambda: [c.close() for c in conns]


def run_engine(engine: str, confirms: int, seconds: float, thread_counts: list[int]) -> dict:
    with fresh_database(engine) as url:
        ctx = Context.from_settings(Settings(database_url=url, scheduler=False, sandbox=False))
        seed_members(ctx)
        runs = {}
        for threads in thread_counts:
            raw_orders = seed(ctx, f"RAW{threads}-", confirms)
            svc_orders = seed(ctx, f"SVC{threads}-", confirms)
            work, close = raw_worker(url)
            raw = timed(work, raw_orders, threads, seconds)
            close()
            confirm = timed(lambda o: wallet.confirm_recharge(ctx, order_no=o, provider_txn_id="T-" + o),
                            svc_orders, threads, seconds)
            runs[f"threads_{threads}"] = {"raw": raw, "confirm": confirm,
                                          "ratio": round(confirm["per_s"] / raw["per_s"], 3) if raw["per_s"] else None}
        # The raw rows credit no balance on purpose (baseline); reconcile only the service's wallets.
        with ctx.db.write() as conn:
            conn.execute(text("DELETE FROM wallet_ledger WHERE ref LIKE 'RAW%'"))
            conn.execute(text("UPDATE recharges SET status='pending', provider_txn_id=NULL WHERE order_no LIKE 'RAW%'"))
        problems = wallet.reconcile_wallets(ctx)
        ctx.db.dispose()
        return {"runs": runs, "reconciled": not problems, "problems": problems[:5]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--confirms", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=8.0, help="time cap of each run")
    parser.add_argument("--threads", default="1,4")
    args = parser.parse_args(argv)
    result: dict = {"benchmark": "recharge confirmation", "python": sys.version.split()[0],
                    "machine": platform.machine(), "cpus": os.cpu_count(),
                    "confirms": args.confirms, "seconds_cap": args.seconds, "engines": {}}
    for engine in args.engines.split(","):
        if engine == "postgresql" and (why := unreachable(engine)):
            result["engines"][engine] = {"skipped": why}
            continue
        result["engines"][engine] = run_engine(engine, args.confirms, args.seconds,
                                               [int(t) for t in args.threads.split(",")])
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
