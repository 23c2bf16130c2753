"""Settlements per second, in-process and over HTTP, beside a raw INSERT baseline on the same database.

    python bench/settle.py [--engines sqlite,postgresql] [--seconds 8] [--orders 3000] [--workers 1,2]

Per engine: a fresh database (SQLite temp file; PostgreSQL a uniquely named database, dropped at the end),
migrated and seeded with stations, members with two vouchers each and a platform API key. Then, in one run:
  raw        one INSERT of a charge_orders row per transaction, straight through the driver;
  in-process ``services.settlement.settle`` from T threads;
  http       ``uvicorn --factory evperks.app:app_from_env`` in a subprocess, loaded by wrk (bench/settle.lua)
             or, without wrk, by a small Python client; 201s are checked against the rows written.
Prints one JSON document; ratios are settle rate / raw rate measured in the same run (the machine is noisy).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from holds import holds_ab, session_throughput  # bench/holds.py
from psycopg.types.json import Json
from refund_bench import refund_report  # bench/refund_bench.py
from scratch import fresh_database, unreachable  # bench/scratch.py
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import make_url

from evperks.config import Settings
from evperks.db.tables import charge_orders, members, voucher_templates
from evperks.domain.vouchers import DaysValidity, DeductionType
from evperks.services import access, stations, vouchers
from evperks.services.context import Context
from evperks.services.settlement import AUTO, ChargeOrder, settle

WRK_SCRIPT = Path(__file__).with_name("settle.lua")
STATION_IDS = ("S1", "S2", "S3", "S4")
VOUCHERS_PER_MEMBER = 2


@dataclass(frozen=True)
class Params:
    engines: list[str]
    seconds: float
    orders: int
    threads: list[int]
    workers: list[int]
    members: int
    connections: int


@dataclass(frozen=True)
class Seeded:
    url: str
    api_key: str
    members: int
    start_time: datetime  # every order runs from start_time to end_time: inside every voucher's validity
    end_time: datetime


def member_id(i: int) -> str:
    return f"bm{i:05d}"


# --- databases -------------------------------------------------------------------------------------

def bench_context(url: str) -> Context:
    """The real clock, as in production (the sandbox clock would add a database read per "now")."""
    return Context.from_settings(Settings(database_url=url, scheduler=False, sandbox=False))


def seed(ctx: Context, n_members: int) -> Seeded:
    """Stations and an API key through the services; members and their vouchers set-based."""
    now = datetime.now(UTC)
    issued_at = now - timedelta(days=1)
    for sid in STATION_IDS:
        stations.upsert_station(ctx, station_id=sid, name=f"站 {sid}", city="深圳")
    rows = [
        {"id": member_id(i), "phone": f"139{i:08d}", "registered_at": issued_at, "invite_code": f"BENCH{i:05d}",
         "created_at": issued_at}
        for i in range(n_members)
    ]
    spec = vouchers.TemplateSpec(name="5元券", face_value_fen=500, deduction_type=DeductionType.TOTAL,
                                 validity=DaysValidity(30))
    template_id = vouchers.create_template(ctx, spec)["id"]
    with ctx.db.write() as conn:
        conn.execute(insert(members), rows)
        template = conn.execute(select(voucher_templates).where(voucher_templates.c.id == template_id)).one()
        vouchers.issue_from_template(
            conn, ctx, template=template, now=issued_at, source_kind="manual", reason="bench",
            member_ids=[r["id"] for r in rows for _ in range(VOUCHERS_PER_MEMBER)],
        )
    key = access.create_api_key(ctx, name="bench", role="platform")
    return Seeded(url=ctx.db.url.render_as_string(hide_password=False), api_key=key, members=n_members,
                  start_time=now - timedelta(hours=2), end_time=now - timedelta(hours=1))


def order_rows(ctx: Context) -> int:
    with ctx.db.read() as conn:
        return conn.execute(select(func.count()).select_from(charge_orders)).scalar_one()


# --- measuring -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    ops: int
    seconds: float
    cpu_seconds: dict[str, float]  # by process group: bench, server, database, client

    @property
    def per_s(self) -> float:
        return round(self.ops / self.seconds, 1)

    def cpu_ms_per_op(self) -> dict[str, float]:
        """CPU per operation by process group; its sum bounds the rate on this machine's cores."""
        ms = {group: round(1000 * s / max(self.ops, 1), 3) for group, s in self.cpu_seconds.items() if s > 0}
        ms["total"] = round(sum(ms.values()), 3)
        ms["cpu_bound_ceiling_per_s"] = round((os.cpu_count() or 1) * 1000 / ms["total"], 1) if ms["total"] else None
        return ms


def proc_cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each live process (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / tick
    return found


def children_of(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                kids.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return kids


def database_backends(ctx: Context) -> list[int]:
    """The PostgreSQL server processes serving this database (SQLite works inside its callers)."""
    if ctx.db.is_sqlite:
        return []
    with ctx.db.read() as conn:
        return list(conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        )).scalars())


def cpu_snapshot(ctx: Context, server_pid: int | None) -> dict[str, dict[int, float]]:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished children: the load generator
    return {
        "bench": {0: time.process_time()},
        "server": proc_cpu_seconds([server_pid, *children_of(server_pid)]) if server_pid else {},
        "database": proc_cpu_seconds(database_backends(ctx)),
        "client": {0: children.ru_utime + children.ru_stime},
    }


def measured(ctx: Context, run: Callable[[], int], server_pid: int | None = None) -> Run:
    """Time ``run`` (which returns how many operations it did) and the CPU every process group spent."""
    before = cpu_snapshot(ctx, server_pid)
    started = time.perf_counter()
    ops = run()
    seconds = time.perf_counter() - started
    after = cpu_snapshot(ctx, server_pid)
    spent = {group: sum(t - before[group].get(pid, 0.0) for pid, t in after[group].items()) for group in after}
    return Run(ops, seconds, spent)


def repeat(threads: int, limit: int, seconds: float, work: Callable[[object, int], None],
           states: list | None = None) -> int:
    """Call ``work(states[t], i)`` from ``threads`` threads, ``limit`` times or for ``seconds``, whichever
    ends first (``states``: one per thread, e.g. its connection). Returns the calls made."""
    numbers = itertools.count()
    lock = threading.Lock()
    done = [0] * threads
    deadline = time.perf_counter() + seconds

    def loop(t: int) -> None:
        while time.perf_counter() < deadline:
            with lock:
                i = next(numbers)
            if i >= limit:
                break
            work(states[t] if states else None, i)
            done[t] += 1

    workers = [threading.Thread(target=loop, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done)


def raw_inserts(ctx: Context, seeded: Seeded, threads: int, p: Params, prefix: str) -> Run:
    """One INSERT of a charge_orders row per transaction, through the driver with no SQLAlchemy."""
    url = make_url(seeded.url)
    start, end = (t.replace(tzinfo=None) for t in (seeded.start_time, seeded.end_time))
    body = {"order_no": "x", "member_id": "x", "total_fen": 2800, "voucher_id": None, "rewards": []}
    columns = ("order_no, member_id, station_id, start_time, end_time, energy_wh, elec_fee_fen, service_fee_fen, "
               "total_fen, voucher_deduction_fen, points_used, points_deduction_fen, wallet_paid_fen, due_fen, "
               "points_earned, fingerprint, result, settled_at")

    def values(i: int) -> tuple:
        return (f"{prefix}-{i}", member_id(i % seeded.members), "S1", start, end, 20500, 2000, 800, 2800,
                0, 0, 0, 0, 2800, 0, "f" * 64, body, datetime.now(UTC).replace(tzinfo=None))

    if url.get_backend_name() == "sqlite":
        sql = f"INSERT INTO charge_orders ({columns}) VALUES ({', '.join('?' * 18)})"

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(url.database, isolation_level=None, check_same_thread=False, timeout=30)
            for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
                conn.execute(f"PRAGMA {pragma}")
            return conn

        def work(conn: sqlite3.Connection, i: int) -> None:
            row = values(i)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, (*row[:16], json.dumps(row[16]), str(row[17])))
            conn.execute("COMMIT")
    else:
        sql = f"INSERT INTO charge_orders ({columns}) VALUES ({', '.join(['%s'] * 18)})"
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)

        def connect() -> psycopg.Connection:
            return psycopg.connect(conninfo)

        def work(conn: psycopg.Connection, i: int) -> None:
            row = values(i)
            conn.execute(sql, (*row[:16], Json(row[16]), row[17]))
            conn.commit()

    connections = [connect() for _ in range(threads)]
    try:
        return measured(ctx, lambda: repeat(threads, p.orders, p.seconds, work, connections))
    finally:
        for conn in connections:
            conn.close()


def charge_order(seeded: Seeded, prefix: str, i: int) -> ChargeOrder:
    """Order ``i``: members and stations in turn, every other order asking for the best voucher."""
    return ChargeOrder(
        order_no=f"{prefix}-{i}", member_id=member_id(i % seeded.members), station_id=STATION_IDS[i % 4],
        start_time=seeded.start_time, end_time=seeded.end_time, energy_wh=20_500, elec_fee_fen=2000,
        service_fee_fen=800, voucher=AUTO if i % 2 == 0 else None,
    )


def settlements(ctx: Context, seeded: Seeded, threads: int, p: Params, prefix: str) -> Run:
    work = lambda _, i: settle(ctx, charge_order(seeded, prefix, i))  # noqa: E731
    return measured(ctx, lambda: repeat(threads, p.orders, p.seconds, work))


def statements_per_settlement(ctx: Context, seeded: Seeded) -> dict:
    """SQL statements each kind of settlement sends (cursor executes, incl. SQLite's BEGIN), pool pings and
    commits; driver_calls adds them up: on PostgreSQL each is a network round trip, psycopg's own BEGIN included."""
    counts = {"statements": 0, "pings": 0, "commits": 0}
    engine, dialect = ctx.db.engine, ctx.db.engine.dialect
    original_ping = dialect.do_ping

    def counting_ping(dbapi_connection) -> bool:
        counts["pings"] += 1
        return original_ping(dbapi_connection)

    def count(key: str) -> Callable:
        return lambda *_args, **_kw: counts.__setitem__(key, counts[key] + 1)

    listeners = [(engine, "before_cursor_execute", count("statements")), (engine, "commit", count("commits"))]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    dialect.do_ping = counting_ping
    result = {}
    try:
        # Member 0 has two vouchers: auto uses one, then the other, then finds none; member 1 pays in full.
        cases = [("auto_uses_voucher", 0, AUTO, "c1"), ("auto_uses_last_voucher", 0, AUTO, "c2"),
                 ("auto_none_left", 0, AUTO, "c3"), ("no_voucher", 1, None, "c4"), ("replay", 1, None, "c4")]
        for name, member, voucher, order_no in cases:
            counts.update(statements=0, pings=0, commits=0)
            settle(ctx, replace(charge_order(seeded, "count", member), order_no=order_no, voucher=voucher))
            result[name] = {**counts, "driver_calls": sum(counts.values()) + (0 if ctx.db.is_sqlite else 1)}
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)
        del dialect.do_ping
    return result


# --- over HTTP -------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def uvicorn_server(url: str, workers: int) -> Iterator[tuple[str, int]]:
    """``evperks serve`` without migrating or the scheduler: uvicorn on a free port; yields its URL and pid."""
    port = free_port()
    env = {**os.environ, "EVPERKS_DATABASE_URL": url, "EVPERKS_SCHEDULER": "false", "EVPERKS_SANDBOX": "false",
           "EVPERKS_LOG_LEVEL": "WARNING"}
    cmd = [sys.executable, "-m", "uvicorn", "evperks.app:app_from_env", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(base, server, log)
            yield base, server.pid
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def wait_until_healthy(base: str, server: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"uvicorn exited: {log.read().decode(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("uvicorn did not become healthy within 30 s")


def wrk_load(base: str, seeded: Seeded, seconds: float, connections: int, prefix: str) -> dict:
    """wrk with one thread (the client must not starve a 2-core server); counts come from bench/settle.lua."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s", "-s", str(WRK_SCRIPT),
           f"{base}/api/v1/charge-orders", "--", seeded.api_key, str(seeded.members), prefix,
           seeded.start_time.isoformat(), seeded.end_time.isoformat()]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    stats = json.loads(line.removeprefix("WRKJSON "))
    stats["seconds"] = stats.pop("duration_us") / 1e6
    return stats


def python_load(base: str, seeded: Seeded, seconds: float, connections: int, prefix: str) -> dict:
    """The fallback client: ``connections`` threads with a keep-alive httpx client each."""
    stats = {"responses": 0, "created_201": 0, "other_2xx": 0, "non_2xx": 0, "socket_errors": 0, "first_error": ""}
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {seeded.api_key}"}

    def body(i: int) -> dict:
        o = charge_order(seeded, prefix, i)
        return {"order_no": o.order_no, "member_id": o.member_id, "station_id": o.station_id,
                "start_time": o.start_time.isoformat(), "end_time": o.end_time.isoformat(), "energy_kwh": "20.5",
                "elec_fee_fen": o.elec_fee_fen, "service_fee_fen": o.service_fee_fen, "voucher_id": o.voucher}

    def work(client: httpx.Client, i: int) -> None:
        try:
            status = client.post("/api/v1/charge-orders", json=body(i), headers=headers).status_code
        except httpx.HTTPError as exc:
            key, status = "socket_errors", str(exc)
        else:
            key = "created_201" if status == 201 else "other_2xx" if 200 <= status < 300 else "non_2xx"
        with lock:
            stats["responses"] += key != "socket_errors"
            stats[key] += 1
            if key != "created_201" and not stats["first_error"]:
                stats["first_error"] = str(status)

    clients = [httpx.Client(base_url=base, timeout=30) for _ in range(connections)]
    started = time.perf_counter()
    repeat(connections, 10**9, seconds, work, clients)
    stats["seconds"] = time.perf_counter() - started
    for client in clients:
        client.close()
    return stats


def http_run(ctx: Context, seeded: Seeded, workers: int, p: Params, prefix: str) -> dict:
    """Settlements/s over HTTP after a short warm-up; the 201s must match the rows written."""
    load = wrk_load if shutil.which("wrk") else python_load
    stats: dict = {}

    def run() -> int:
        stats.update(load(base, seeded, p.seconds, p.connections, prefix))
        return stats["created_201"]

    with uvicorn_server(seeded.url, workers) as (base, pid):
        load(base, seeded, 1, p.connections, prefix + "w")  # warm-up: imports, pools, statement caches
        time.sleep(0.5)
        before = order_rows(ctx)
        usage = measured(ctx, run, server_pid=pid)
        time.sleep(1)  # let requests in flight when the client stopped finish before counting
        written = order_rows(ctx) - before
    unanswered = written - stats["created_201"]  # wrk drops requests in flight at its end; the server commits them
    return {
        "workers": workers,
        "client": "wrk" if load is wrk_load else "python-httpx (in the bench process)",
        "per_s": round(stats["created_201"] / stats["seconds"], 1),
        **stats,
        "rows_written": written,
        "written_but_unanswered": unanswered,
        "verified": stats["non_2xx"] == 0 and stats["socket_errors"] == 0 and 0 <= unanswered <= p.connections,
        "cpu_ms_per_settlement": usage.cpu_ms_per_op(),
    }


# --- one engine ------------------------------------------------------------------------------------

def bench_engine(engine: str, p: Params) -> dict:
    if engine == "postgresql" and (reason := unreachable(engine)):
        return {"skipped": reason}
    with fresh_database(engine) as url:
        ctx = bench_context(url)
        try:
            seeded = seed(ctx, p.members)
            statements = statements_per_settlement(ctx, seeded)
            raw = {t: raw_inserts(ctx, seeded, t, p, f"raw{t}") for t in p.threads}
            settled = {t: settlements(ctx, seeded, t, p, f"ip{t}") for t in p.threads}
            refunded = refund_report(ctx, seeded, {t: r.ops for t, r in settled.items()}, measured, repeat, p)
            http = [http_run(ctx, seeded, w, p, f"h{w}") for w in p.workers]
            everyone = [member_id(i) for i in range(seeded.members)]
            holds = {"ab": holds_ab(ctx, seeded, everyone, orders=p.orders),
                     "sessions": session_throughput(ctx, seeded, everyone, count=max(1, p.orders // 3))}
        finally:
            ctx.db.dispose()
    best_raw = max(r.per_s for r in raw.values())
    best_http = max(http, key=lambda h: h["per_s"])
    return {
        "raw_insert_per_s": {f"threads_{t}": r.per_s for t, r in raw.items()},
        "settle_in_process_per_s": {f"threads_{t}": r.per_s for t, r in settled.items()},
        "http_per_s": best_http["per_s"],
        "http_best_workers": best_http["workers"],
        "ratio_in_process": {f"threads_{t}": round(settled[t].per_s / raw[t].per_s, 3) for t in p.threads},
        "ratio_http": round(best_http["per_s"] / best_raw, 3),
        "statements_per_settlement": statements,
        "cpu_ms_per_op": {
            **{f"raw_threads_{t}": r.cpu_ms_per_op() for t, r in raw.items()},
            **{f"in_process_threads_{t}": r.cpu_ms_per_op() for t, r in settled.items()},
        },
        "http_runs": http,
        "refunds": refunded,
        "holds": holds,
    }


def machine() -> dict:
    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "load_avg_1m_at_start": round(os.getloadavg()[0], 2)}


def parse_args(argv: list[str] | None = None) -> Params:
    ints = lambda s: [int(x) for x in s.split(",")]  # noqa: E731
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=8, help="HTTP load duration; cap of each in-process run")
    parser.add_argument("--orders", type=int, default=3000, help="orders per raw / in-process run")
    parser.add_argument("--threads", type=ints, default=[1, 4], help="in-process and raw thread counts")
    parser.add_argument("--workers", type=ints, default=[1, 2], help="uvicorn worker counts to compare")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=8, help="concurrent HTTP connections")
    a = parser.parse_args(argv)
    return Params(a.engines.split(","), a.seconds, a.orders, a.threads, a.workers, a.members, a.connections)


def main(argv: list[str] | None = None) -> None:
    p = parse_args(argv)
    report: dict = {"machine": machine(), "parameters": p.__dict__}
    for engine in p.engines:
        report[engine] = bench_engine(engine, p)
        print(f"{engine} done", file=sys.stderr)
    report["definitions"] = {
        "ratio_in_process": "settle_in_process_per_s / raw_insert_per_s at the same thread count",
        "ratio_http": "http_per_s (best worker count) / best raw_insert_per_s",
        "refunds": "partial refunds of the orders the in-process run settled: through the use case, and raw SQL of "
                   "the same writes (member lock, guarded order UPDATE, refund, message and audit rows) in the same run",
        "holds": "ab: in-process settlements paying with the wallet, interleaved A-B/B-A rounds, for members with no "
                 "open session (A) and members whose open session holds ¥50 (B); ratio_held_to_no_holds = B/A (≈1: "
                 "holds cost nothing). sessions: open + settle of a charge session per second vs a plain settlement",
        "cpu_ms_per_op": "CPU ms per operation by process group (bench: this process; server: uvicorn and its "
                         "workers; database: PostgreSQL backends of the bench database; client: wrk); "
                         "cpu_bound_ceiling_per_s = cores * 1000 / total, the rate if nothing but CPU limited it",
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
