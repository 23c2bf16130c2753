"""The admin console's 首页 figures at production scale, beside the cheapest raw SQL for the same window.

    python bench/dashboard.py [--engines sqlite,postgresql] [--vouchers 1000000] [--orders 200000]
                              [--members 100000] [--repeat 5]

Per engine: a fresh database (SQLite temp file; PostgreSQL a uniquely named database, dropped at the
end), migrated; one station and template, then members, vouchers and charge orders generated set-based
(one INSERT … SELECT each, in time order as the service writes them), spread evenly over the 90 days up
to NOW; every third voucher is used 0–6 days after issue (never after NOW). PostgreSQL is then
VACUUM ANALYZEd (what autovacuum does to a production table); SQLite is left un-ANALYZEd, as the service
leaves it. The sandbox clock is moved to NOW. Then, ``--repeat`` times each, interleaved:
  raw      the plain SQL that answers the same 14-day questions as totals (not per day): a count of
           vouchers issued and used since the first day, the two deduction sums since then, and the
           member count and balance sums — four statements in one read transaction;
  figures  ``services.dashboard.figures(ctx)``.
The figures are checked against direct counts (today's and the 14 days' issued, used and deducted, the
member totals), and every statement ``figures`` ran is EXPLAINed: ``plans`` names the indexes each one
uses and any whole-table scan of vouchers, charge_orders or members.
Prints one JSON document; ``ratio`` = figures median / raw median (the machine is noisy: compare ratios).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import time
from datetime import UTC, datetime, timedelta

from scratch import fresh_database, unreachable  # bench/scratch.py
from sqlalchemy import event, text

from evperks.config import Settings
from evperks.domain.timecal import local_date, start_of_local_day
from evperks.services import dashboard
from evperks.services.context import Context

NOW = datetime(2026, 3, 12, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
SPAN_S = 90 * 86400
EPOCH = NOW - timedelta(seconds=SPAN_S)
BIG_TABLES = ("vouchers", "charge_orders", "members")

# :n runs 0 … count-1 in time order; row n is at EPOCH + (n + 1) * SPAN_S / count, the last one at NOW.
_SQLITE_AT = "strftime('%Y-%m-%d %H:%M:%S', :epoch, '+' || ((n + 1) * {span} / :{count}) || ' seconds') || '.000000'"
_SQLITE_SEED = """
INSERT INTO stations (id, name, city, created_at, updated_at) VALUES ('S1', 'bench', '', :epoch, :epoch);
INSERT INTO voucher_templates (id, name, face_value_fen, deduction_type, station_ids, validity_type, validity_days,
                               min_spend_fen, enabled, created_at, updated_at)
VALUES (1, '5元券', 500, 'total', '[]', 'days', 30, 0, 1, :epoch, :epoch);
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :members - 1)
INSERT INTO members (id, phone, nickname, channel, registered_at, invite_code, charge_count, total_wh,
                     total_paid_fen, wallet_balance_fen, points_balance, created_at)
SELECT 'm' || n, '1' || printf('%010d', n), '', '', at, 'C' || n, 0, 0, 0, n % 1000, n % 100, at
FROM (SELECT n, {members_at} AS at FROM seq);
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :vouchers - 1)
INSERT INTO vouchers (member_id, template_id, name, face_value_fen, deduction_type, station_ids, min_spend_fen,
                      valid_from, valid_until, status, source_kind, issued_at, used_order_no, used_at)
SELECT 'm' || (n % :members), 1, '5元券', 500, 'total', '[]', 0, at,
       strftime('%Y-%m-%d %H:%M:%S', at, '+30 days') || '.000000',
       CASE WHEN used IS NULL THEN 'available' ELSE 'used' END, 'manual', at,
       CASE WHEN used IS NULL THEN NULL ELSE 'O' || n END, used
FROM (SELECT n, at, CASE WHEN n % 3 = 0 AND used_at <= :now THEN used_at END AS used
      FROM (SELECT n, at, strftime('%Y-%m-%d %H:%M:%S', at, '+' || (n % 7) || ' days') || '.000000' AS used_at
            FROM (SELECT n, {vouchers_at} AS at FROM seq)));
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :orders - 1)
INSERT INTO charge_orders (order_no, member_id, station_id, start_time, end_time, energy_wh, elec_fee_fen,
                           service_fee_fen, total_fen, voucher_id, voucher_deduction_fen, points_used,
                           points_deduction_fen, wallet_paid_fen, due_fen, points_earned, fingerprint, result,
                           settled_at)
SELECT 'B' || n, 'm' || (n % :members), 'S1', at, at, 10000, 1000, 500, 1500, NULL, vd, pd * 100, pd, 0,
       1500 - vd - pd, 15, 'x', '{{}}', at
FROM (SELECT n, {orders_at} AS at, CASE WHEN n % 3 = 0 THEN 500 ELSE 0 END AS vd,
             CASE WHEN n % 5 = 0 THEN 100 ELSE 0 END AS pd FROM seq);
""".format(**{f"{t}_at": _SQLITE_AT.format(span=SPAN_S, count=t) for t in ("members", "vouchers", "orders")})

_PG_AT = "CAST(:epoch AS timestamp) + ((n + 1) * {span}::bigint / :{count}) * interval '1 second'"
_PG_SEED = """
INSERT INTO stations (id, name, city, created_at, updated_at) VALUES ('S1', 'bench', '', :epoch, :epoch);
INSERT INTO voucher_templates (name, face_value_fen, deduction_type, station_ids, validity_type, validity_days,
                               min_spend_fen, enabled, created_at, updated_at)
VALUES ('5元券', 500, 'total', '[]', 'days', 30, 0, true, :epoch, :epoch);
INSERT INTO members (id, phone, nickname, channel, registered_at, invite_code, charge_count, total_wh,
                     total_paid_fen, wallet_balance_fen, points_balance, created_at)
SELECT 'm' || n, '1' || lpad(n::text, 10, '0'), '', '', at, 'C' || n, 0, 0, 0, n % 1000, n % 100, at
FROM (SELECT n, {members_at} AS at FROM generate_series(0, :members - 1) AS n) AS s;
INSERT INTO vouchers (member_id, template_id, name, face_value_fen, deduction_type, station_ids, min_spend_fen,
                      valid_from, valid_until, status, source_kind, issued_at, used_order_no, used_at)
SELECT 'm' || (n % :members), (SELECT min(id) FROM voucher_templates), '5元券', 500, 'total', '[]', 0, at,
       at + interval '30 days', CASE WHEN used IS NULL THEN 'available' ELSE 'used' END, 'manual', at,
       CASE WHEN used IS NULL THEN NULL ELSE 'O' || n END, used
FROM (SELECT n, at, CASE WHEN n % 3 = 0 AND at + (n % 7) * interval '1 day' <= CAST(:now AS timestamp)
                         THEN at + (n % 7) * interval '1 day' END AS used
      FROM (SELECT n, {vouchers_at} AS at FROM generate_series(0, :vouchers - 1) AS n) AS s) AS v;
INSERT INTO charge_orders (order_no, member_id, station_id, start_time, end_time, energy_wh, elec_fee_fen,
                           service_fee_fen, total_fen, voucher_id, voucher_deduction_fen, points_used,
                           points_deduction_fen, wallet_paid_fen, due_fen, points_earned, fingerprint, result,
                           settled_at)
SELECT 'B' || n, 'm' || (n % :members), 'S1', at, at, 10000, 1000, 500, 1500, NULL, vd, pd * 100, pd, 0,
       1500 - vd - pd, 15, 'x', '{{}}', at
FROM (SELECT n, {orders_at} AS at, CASE WHEN n % 3 = 0 THEN 500 ELSE 0 END AS vd,
             CASE WHEN n % 5 = 0 THEN 100 ELSE 0 END AS pd FROM generate_series(0, :orders - 1) AS n) AS s;
""".format(**{f"{t}_at": _PG_AT.format(span=SPAN_S, count=t) for t in ("members", "vouchers", "orders")})

# The raw baseline: the same 14-day window, as totals, in the fewest plain statements.
_RAW = (
    "SELECT count(*) FROM vouchers WHERE issued_at >= :start AND issued_at < :end",
    "SELECT count(*) FROM vouchers WHERE used_at >= :start AND used_at < :end",
    "SELECT coalesce(sum(voucher_deduction_fen), 0), coalesce(sum(points_deduction_fen), 0)"
    " FROM charge_orders WHERE settled_at >= :start AND settled_at < :end",
    "SELECT count(*), coalesce(sum(points_balance), 0), coalesce(sum(wallet_balance_fen), 0) FROM members",
)


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


def _param(ctx: Context, at: datetime):
    """How an instant is bound in raw SQL: SQLAlchemy's SQLite text format, or a naive UTC timestamp."""
    return _naive(at).strftime("%Y-%m-%d %H:%M:%S.%f") if ctx.db.is_sqlite else _naive(at)


def _seed(ctx: Context, vouchers: int, orders: int, members: int) -> None:
    params = {"vouchers": vouchers, "orders": orders, "members": members, "epoch": _param(ctx, EPOCH),
              "now": _param(ctx, NOW)}
    script = _SQLITE_SEED if ctx.db.is_sqlite else _PG_SEED
    with ctx.db.write() as conn:
        for statement in filter(str.strip, script.split(";\n")):
            conn.execute(text(statement), {k: v for k, v in params.items() if f":{k}" in statement})
    if not ctx.db.is_sqlite:
        with ctx.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def _window(ctx: Context) -> tuple[datetime, datetime, datetime]:
    """(first shown day 00:00, today 00:00, tomorrow 00:00) in the operator's zone, as figures computes them."""
    today = local_date(NOW, ctx.zone)
    return (start_of_local_day(today - timedelta(days=dashboard.DAYS - 1), ctx.zone),
            start_of_local_day(today, ctx.zone), start_of_local_day(today + timedelta(days=1), ctx.zone))


def _raw(ctx: Context, start: datetime, end: datetime) -> list[tuple]:
    bind = {"start": _param(ctx, start), "end": _param(ctx, end)}
    with ctx.db.read() as conn:
        return [tuple(int(v) for v in conn.execute(text(sql), bind).one()) for sql in _RAW]


def _timed(run) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def _statements(ctx: Context) -> list[tuple[str, object]]:
    """The statements (with their parameters) that ``figures`` sends to the database."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if any(re.search(rf"\b{t}\b", statement) for t in BIG_TABLES):
            seen.append((statement, parameters))

    event.listen(ctx.db.engine, "before_cursor_execute", record)
    try:
        dashboard.figures(ctx)
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", record)
    return seen


def _plans(ctx: Context) -> list[dict]:
    """EXPLAIN each statement of ``figures``: the indexes it uses and the big tables it scans whole."""
    out = []
    explain = "EXPLAIN QUERY PLAN " if ctx.db.is_sqlite else "EXPLAIN "
    for statement, parameters in _statements(ctx):
        with ctx.db.read() as conn:
            rows = conn.exec_driver_sql(explain + statement, parameters).all()
        plan = "\n".join(str(row[-1]) for row in rows)
        if ctx.db.is_sqlite:  # "SCAN vouchers" is a whole-table scan; "SCAN vouchers USING … INDEX" is not
            scans = [t for t in BIG_TABLES if re.search(rf"^\s*SCAN {t}\s*$", plan, re.M)]
        else:
            scans = [t for t in BIG_TABLES if re.search(rf"Seq Scan on {t}\b", plan)]
        out.append({"tables": [t for t in BIG_TABLES if re.search(rf"\b{t}\b", statement)],
                    "indexes": sorted(set(re.findall(r"\bix_\w+", plan))), "full_scans": scans,
                    "plan": [line.strip() for line in plan.splitlines() if re.search(r"scan|search", line, re.I)]})
    return out


def _check(figures: dict, today: list[tuple], window: list[tuple], members: int) -> dict:
    days = figures["days"]
    got_today = [figures["vouchers_issued_today"], figures["vouchers_used_today"],
                 figures["voucher_deduction_today_fen"], figures["points_deduction_today_fen"]]
    want_today = [today[0][0], today[1][0], today[2][0], today[2][1]]
    got_window = [sum(d[s] for d in days) for s in dashboard.SERIES]
    want_window = [window[0][0], window[1][0], window[2][0], window[2][1]]
    got_members = [figures["members_total"], figures["points_liability"], figures["stored_value_liability_fen"]]
    return {"today": dict(zip(dashboard.SERIES, got_today, strict=True)),
            "fourteen_days": dict(zip(dashboard.SERIES, got_window, strict=True)),
            "ok": got_today == want_today and got_window == want_window and list(window[3]) == got_members
            and got_members[0] == members and got_today[0] > 0 and got_today[1] > 0}


def _run(url: str, vouchers: int, orders: int, members: int, repeat: int) -> dict:
    ctx = Context.from_settings(Settings(database_url=url, sandbox=True, scheduler=False))
    try:
        seed_s, _ = _timed(lambda: _seed(ctx, vouchers, orders, members))
        ctx.clock.move_to(NOW)
        start, today_start, end = _window(ctx)
        raw_s, figures_s = [], []
        for _ in range(repeat):  # interleaved, so load on the shared machine hits both alike
            seconds, window = _timed(lambda: _raw(ctx, start, end))
            raw_s.append(seconds)
            seconds, figures = _timed(lambda: dashboard.figures(ctx))
            figures_s.append(seconds)
        raw_median, figures_median = statistics.median(raw_s), statistics.median(figures_s)
        return {
            "rows": {"vouchers": vouchers, "vouchers_used": _count_used(ctx), "charge_orders": orders,
                     "members": members},
            "seed_seconds": round(seed_s, 2),
            "raw_seconds": round(raw_median, 4), "figures_seconds": round(figures_median, 4),
            "ratio": round(figures_median / raw_median, 2) if raw_median else None,
            "runs": {"raw": [round(s, 4) for s in raw_s], "figures": [round(s, 4) for s in figures_s]},
            "check": _check(figures, _raw(ctx, today_start, end), window, members),
            "plans": _plans(ctx),
        }
    finally:
        ctx.db.dispose()


def _count_used(ctx: Context) -> int:
    with ctx.db.read() as conn:
        return int(conn.execute(text("SELECT count(*) FROM vouchers WHERE used_at IS NOT NULL")).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--vouchers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each; the median is reported")
    args = parser.parse_args()
    report: dict = {"benchmark": "dashboard", "python": platform.python_version(), "cores": os.cpu_count(),
                    "load_avg_1m_at_start": round(os.getloadavg()[0], 2), "now": NOW.isoformat(),
                    "engines": {}}
    for engine in args.engines.split(","):
        if why := unreachable(engine):
            report["engines"][engine] = {"skipped": why}
            continue
        with fresh_database(engine) as url:
            report["engines"][engine] = _run(url, args.vouchers, args.orders, args.members, args.repeat)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
