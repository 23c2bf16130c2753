"""A one-time grant to N bound members, beside a raw bulk INSERT of the same voucher rows in the same run.

    python bench/one_time_grant.py [--engines sqlite,postgresql] [--members 100000] [--batch 5000]

Per engine: a fresh database (SQLite temp file; PostgreSQL a uniquely named database, dropped at the end),
migrated; N members inserted straight through the driver, a two-line reward (2 × 5元 + 1 × 10元), the
members bound by one search, the campaign published. Then, timed:
  grant  ``campaigns.one_time.run_one_time_grant``: packages, budget, vouchers (3 per member) and messages;
  raw    the same 3·N voucher rows, prepared in Python, inserted with one executemany in one transaction
         (what a hand-written bulk load of just the vouchers costs).
Prints one JSON document with ``ratio = raw_seconds / grant_seconds`` (≥ 0.5 is the aim: the grant does
more than the raw load — packages, budget and messages — yet should cost at most twice its time).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta

from scratch import fresh_database, unreachable  # bench/scratch.py
from sqlalchemy import func, insert, select, text

from evperks.config import Settings
from evperks.db.migrate import upgrade
from evperks.db.tables import members, vouchers
from evperks.domain.vouchers import DaysValidity, DeductionType
from evperks.services import vouchers as voucher_service
from evperks.services.campaigns import binding, lifecycle, one_time
from evperks.services.context import Context
from evperks.services.member_search import MemberFilter

T0 = datetime(2026, 3, 10, 1, tzinfo=UTC)


def run_engine(url: str, n: int, batch: int) -> dict:
    upgrade(url)
    ctx = Context.from_settings(Settings(database_url=url, sandbox=True, scheduler=False))
    ctx.clock.move_to(T0)
    with ctx.db.write() as conn:
        conn.execute(insert(members), [
            {"id": f"m{i:07d}", "phone": f"139{i:08d}", "registered_at": T0 - timedelta(seconds=n - i),
             "invite_code": f"C{i:07d}", "created_at": T0} for i in range(n)])
    templates = [voucher_service.create_template(ctx, voucher_service.TemplateSpec(
        name=f"{v // 100}元券", face_value_fen=v, deduction_type=DeductionType.TOTAL, validity=DaysValidity(30)))
        for v in (500, 1000)]
    reward = [{"template_id": templates[0]["id"], "quantity": 2}, {"template_id": templates[1]["id"], "quantity": 1}]
    campaign = lifecycle.create_campaign(ctx, fields={
        "type": "one_time", "name": "回馈", "start_at": T0 + timedelta(hours=1), "end_at": T0 + timedelta(days=30),
        "rules_text": "每人一份", "total_packages": n, "reward": reward})
    started = time.perf_counter()
    bound = binding.bind_members(ctx, campaign["id"], flt=MemberFilter()).as_dict()  # printed as JSON
    bind_seconds = time.perf_counter() - started
    lifecycle.publish_campaign(ctx, campaign["id"])
    ctx.clock.move_to(T0 + timedelta(hours=1))

    started = time.perf_counter()
    result = one_time.run_one_time_grant(ctx, campaign["id"], batch_size=batch)
    grant_seconds = time.perf_counter() - started

    now = ctx.clock.now()
    with ctx.db.read() as conn:
        sample = {r.template_id: r for r in conn.execute(select(vouchers).where(vouchers.c.member_id == "m0000000"))}
    rows = []
    for i in range(n):
        for item in reward:
            t = sample[item["template_id"]]
            rows += [{"member_id": f"m{i:07d}", "template_id": t.template_id, "name": t.name,
                      "face_value_fen": t.face_value_fen, "deduction_type": t.deduction_type,
                      "station_ids": t.station_ids, "min_spend_fen": t.min_spend_fen, "valid_from": t.valid_from,
                      "valid_until": t.valid_until, "status": "available", "source_kind": "manual",
                      "issued_at": now}] * item["quantity"]
    started = time.perf_counter()
    with ctx.db.write() as conn:
        conn.execute(insert(vouchers), rows)
    raw_seconds = time.perf_counter() - started

    with ctx.db.read() as conn:
        per_member = conn.execute(text(
            "SELECT min(c), max(c), count(*) FROM (SELECT count(*) AS c FROM vouchers "
            "WHERE campaign_id = :c GROUP BY member_id) x"), {"c": campaign["id"]}).one()
        total = conn.execute(select(func.count()).select_from(vouchers)).scalar_one()
    ctx.db.dispose()
    return {
        "members": n, "batch_size": batch, "bound": bound, "bind_seconds": round(bind_seconds, 3),
        "grant": result, "grant_seconds": round(grant_seconds, 3), "raw_seconds": round(raw_seconds, 3),
        "voucher_rows": 3 * n, "ratio": round(raw_seconds / grant_seconds, 3),
        "check": {"vouchers_per_member_min_max": [per_member[0], per_member[1]], "members_granted": per_member[2],
                  "vouchers_total": total},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=one_time.BATCH_SIZE)
    args = parser.parse_args()
    out: dict = {"benchmark": "one_time_grant", "results": {}}
    for engine in args.engines.split(","):
        if why := unreachable(engine):
            out["results"][engine] = {"skipped": why}
            continue
        with fresh_database(engine) as url:
            out["results"][engine] = run_engine(url, args.members, args.batch)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
