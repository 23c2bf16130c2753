"""The console's member export (CSV over HTTP, streamed) of N members, beside a raw baseline in the same
run, with the process's memory sampled while it streams; and binding all N members by one search.

    python bench/export_members.py [--engines sqlite,postgresql] [--members 1000000]

Per engine: a fresh database (SQLite temp file; PostgreSQL a uniquely named database, dropped at the end),
N members inserted straight through the driver (every 10th with a tag). Then, timed:
  bind    ``binding.bind_members`` of every member by an empty search (one INSERT … SELECT);
  export  GET /admin/exports/members.csv from a live server in this process (uvicorn in a thread), read
          by an HTTP client chunk by chunk; rows counted. The resident set size (RSS) of the process is
          sampled every 20 ms: ``rss_growth_mb`` is its peak during the export less its size just before,
          and ``rss_mb_by_rows`` its size after each tenth of the rows (flat = nothing accumulates);
  raw     the same rows straight from the database: PostgreSQL ``COPY (SELECT … ORDER BY …) TO STDOUT
          WITH CSV``; SQLite a plain SELECT written with ``csv.writer`` (no formatting of money or times).
Prints one JSON document with ``ratio = raw_seconds / export_seconds``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sqlite3
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from scratch import fresh_database, unreachable  # bench/scratch.py
from sqlalchemy import insert
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.live: the in-process server
from evperks.config import Settings  # noqa: E402
from evperks.db.tables import member_tags, members  # noqa: E402
from evperks.services.access import create_admin_user  # noqa: E402
from evperks.services.campaigns import binding, lifecycle  # noqa: E402
from evperks.services.context import Context  # noqa: E402
from evperks.services.member_search import MemberFilter  # noqa: E402
from tests.live import serving  # noqa: E402

T0 = datetime(2026, 3, 10, 1, tzinfo=UTC)
CHUNK = 50_000
COLUMNS = ("id, phone, nickname, channel, registered_at, invite_code, invited_by, charge_count, total_wh, "
           "total_paid_fen, last_charge_at, wallet_balance_fen, points_balance")
ORDERED = f"SELECT {COLUMNS} FROM members ORDER BY id"


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class Sampler:
    """The peak RSS seen while it runs."""

    def __init__(self) -> None:
        self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def seed(ctx: Context, n: int) -> None:
    for start in range(0, n, CHUNK):
        with ctx.db.write() as conn:
            ids = range(start, min(n, start + CHUNK))
            conn.execute(insert(members), [
                {"id": f"m{i:07d}", "phone": f"139{i:08d}", "nickname": f"会员{i}", "registered_at": T0 - timedelta(seconds=n - i),
                 "invite_code": f"C{i:07d}", "created_at": T0, "total_paid_fen": i % 100_000, "total_wh": i % 50_000}
                for i in ids])
            conn.execute(insert(member_tags), [{"member_id": f"m{i:07d}", "tag": "vip"} for i in ids if i % 10 == 0])


def export_over_http(ctx: Context, n: int) -> dict:
    create_admin_user(ctx, username="bench", password="bench-password-1", role="viewer")
    with serving(ctx) as base, httpx.Client(base_url=base, timeout=600) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").text).group(1)
        client.post("/admin/login", data={"username": "bench", "password": "bench-password-1", "csrf_token": token})
        before = rss_mb()
        rows, size, marks, by_rows = 0, 0, [n * k // 10 for k in range(1, 11)], []
        started = time.perf_counter()
        with Sampler() as sampler, client.stream("GET", "/admin/exports/members.csv") as response:
            assert response.status_code == 200, response.status_code
            for chunk in response.iter_bytes():
                size += len(chunk)
                rows += chunk.count(b"\n")
                while marks and rows - 1 >= marks[0]:
                    by_rows.append(round(rss_mb(), 1))
                    marks.pop(0)
        seconds = time.perf_counter() - started
    assert rows - 1 == n, (rows, n)  # the header line and one line per member
    return {"seconds": round(seconds, 2), "rows_per_second": round(n / seconds), "megabytes": round(size / 2**20, 1),
            "rss_before_mb": round(before, 1), "rss_growth_mb": round(sampler.peak - before, 1),
            "rss_mb_by_rows": by_rows}


def raw_export(url: str) -> dict:
    started = time.perf_counter()
    size = 0
    if url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(url).database)
        sink = io.StringIO()
        writer = csv.writer(sink)
        for row in conn.execute(ORDERED):
            writer.writerow(row)
            if sink.tell() > 1 << 20:
                size += sink.tell()
                sink.seek(0)
                sink.truncate()
        size += sink.tell()
        conn.close()
        how = "SELECT + csv.writer"
    else:
        dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as conn, conn.cursor() as cur, cur.copy(f"COPY ({ORDERED}) TO STDOUT WITH CSV") as copy:
            for block in copy:
                size += len(block)
        how = "COPY (SELECT …) TO STDOUT WITH CSV"
    seconds = time.perf_counter() - started
    return {"how": how, "seconds": round(seconds, 2), "megabytes": round(size / 2**20, 1)}


def run_engine(url: str, n: int) -> dict:
    ctx = Context.from_settings(Settings(database_url=url, sandbox=True, scheduler=False))
    ctx.clock.move_to(T0)
    started = time.perf_counter()
    seed(ctx, n)
    seed_seconds = time.perf_counter() - started
    campaign = lifecycle.create_campaign(ctx, fields={"type": "one_time", "name": "回馈"})
    started = time.perf_counter()
    bound = binding.bind_members(ctx, campaign["id"], flt=MemberFilter())
    bind_seconds = time.perf_counter() - started
    raw = raw_export(url)
    exported = export_over_http(ctx, n)
    ctx.db.dispose()
    return {"members": n, "seed_seconds": round(seed_seconds, 1),
            "bind_all": {"bound": bound["bound"], "seconds": round(bind_seconds, 2)},
            "export": exported, "raw": raw, "ratio": round(raw["seconds"] / exported["seconds"], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    report: dict = {"benchmark": "export_members", "cpus": os.cpu_count(), "engines": {}}
    for engine in args.engines.split(","):
        if reason := unreachable(engine):
            report["engines"][engine] = {"skipped": reason}
            continue
        with fresh_database(engine) as url:
            report["engines"][engine] = run_engine(url, args.members)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
