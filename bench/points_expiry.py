"""Points expiry over a million lots, beside a raw UPDATE of the same rows in the same run.

    python bench/points_expiry.py [--engines sqlite,postgresql] [--lots 1000000] [--lots-per-member 10]

Per engine: a fresh database (SQLite temp file; PostgreSQL a uniquely named database, dropped at the
end), migrated; members and lots generated set-based (one INSERT … SELECT each), every lot due. Then:
  raw     ``UPDATE points_lots SET remaining = 0 WHERE expires_at <= :t AND remaining > 0`` (rolled back);
  expire  ``services.points.expiry_store.expire_lots``: member locks (PostgreSQL), the balance debit from an
          aggregate, one ledger row per lot (INSERT … SELECT with window sums), the lot UPDATE — committed,
          then checked: every lot empty, every balance 0, one 'expire' ledger row per lot.
Prints one JSON document; ``ratio`` = expire seconds / raw seconds (the machine is noisy: compare ratios).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import UTC, datetime

from scratch import fresh_database, unreachable  # bench/scratch.py
from sqlalchemy import text

from evperks.db.database import Database
from evperks.db.migrate import upgrade
from evperks.services.points.expiry_store import expire_lots

CUTOFF = datetime(2021, 5, 1, tzinfo=UTC)
GRANTED = "2020-05-01 02:00:00.000000"
EXPIRES = "2021-04-30 16:00:00.000000"  # 2021-05-01 00:00 Shanghai

_SQLITE_SEED = """
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :members)
INSERT INTO members (id, phone, nickname, channel, registered_at, invite_code, charge_count, total_wh,
                     total_paid_fen, wallet_balance_fen, points_balance, created_at)
SELECT 'm' || n, '1' || printf('%010d', n), '', '', :granted, 'C' || n, 0, 0, 0, 0, :per_member * 10, :granted
FROM seq;
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :lots - 1)
INSERT INTO points_lots (member_id, points, remaining, granted_at, granted_on, expires_at, source)
SELECT 'm' || (n % :members + 1), 10, 10, :granted, '2020-05-01', :expires, 'grant' FROM seq;
"""
_PG_SEED = """
INSERT INTO members (id, phone, nickname, channel, registered_at, invite_code, charge_count, total_wh,
                     total_paid_fen, wallet_balance_fen, points_balance, created_at)
SELECT 'm' || n, '1' || lpad(n::text, 10, '0'), '', '', :granted, 'C' || n, 0, 0, 0, 0, :per_member * 10, :granted
FROM generate_series(1, :members) AS n;
INSERT INTO points_lots (member_id, points, remaining, granted_at, granted_on, expires_at, source)
SELECT 'm' || (n % :members + 1), 10, 10, :granted, DATE '2020-05-01', :expires, 'grant'
FROM generate_series(0, :lots - 1) AS n;
ANALYZE;
"""
_RAW = "UPDATE points_lots SET remaining = 0 WHERE expires_at <= :t AND remaining > 0"


def _seed(db: Database, lots: int, per_member: int) -> None:
    members = lots // per_member
    params = {"members": members, "lots": lots, "per_member": per_member, "granted": GRANTED, "expires": EXPIRES}
    script = _SQLITE_SEED if db.is_sqlite else _PG_SEED
    with db.write() as conn:
        for statement in filter(str.strip, script.split(";")):
            used = {k: v for k, v in params.items() if f":{k}" in statement}
            if not db.is_sqlite:
                used = {k: (datetime.fromisoformat(v + "+00:00") if k in ("granted", "expires") else v) for k, v in used.items()}
            conn.execute(text(statement), used)


def _run(url: str, lots: int, per_member: int) -> dict:
    upgrade(url)
    db = Database(url)
    try:
        started = time.perf_counter()
        _seed(db, lots, per_member)
        seed_s = time.perf_counter() - started
        raw_param = EXPIRES if db.is_sqlite else CUTOFF
        with db.write() as conn:  # the baseline: the bare UPDATE of the same rows, then rolled back
            started = time.perf_counter()
            raw_rows = conn.execute(text(_RAW), {"t": raw_param}).rowcount
            raw_s = time.perf_counter() - started
            conn.rollback()
        started = time.perf_counter()
        with db.write() as conn:
            result = expire_lots(conn, cutoff=CUTOFF, now=CUTOFF)
        expire_s = time.perf_counter() - started
        with db.read() as conn:
            check = conn.execute(text(
                "SELECT (SELECT coalesce(sum(remaining), 0) FROM points_lots),"
                " (SELECT coalesce(sum(points_balance), 0) FROM members),"
                " (SELECT count(*) FROM points_ledger WHERE kind = 'expire')"
            )).one()
        return {
            "lots": lots, "members": lots // per_member, "seed_seconds": round(seed_s, 3),
            "raw_update_seconds": round(raw_s, 3), "raw_rows": raw_rows,
            "expire_seconds": round(expire_s, 3), "expired": result,
            "ratio": round(expire_s / raw_s, 2) if raw_s else None,
            "check": {"lots_remaining": int(check[0]), "balances": int(check[1]), "expire_ledger_rows": int(check[2]),
                      "ok": int(check[0]) == 0 and int(check[1]) == 0 and int(check[2]) == lots},
        }
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--lots", type=int, default=1_000_000)
    parser.add_argument("--lots-per-member", type=int, default=10)
    args = parser.parse_args()
    report: dict = {"benchmark": "points_expiry", "python": platform.python_version(), "engines": {}}
    for engine in args.engines.split(","):
        if why := unreachable(engine):
            report["engines"][engine] = {"skipped": why}
            continue
        with fresh_database(engine) as url:
            report["engines"][engine] = _run(url, args.lots, args.lots_per_member)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
