"""Parallel requests against a real HTTP server on loopback, as the charging platform sends them."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from evperks.services.access import create_api_key
from tests import factories as f
from tests.live import serving

PARALLEL = 16


@pytest.fixture
def server(ctx):
    with serving(ctx) as base_url:
        yield base_url


def test_sixteen_parallel_http_settlements_naming_one_voucher_use_it_once(ctx, server):
    ctx.clock.move_to(f.local(2026, 3, 10, 9))
    f.station(ctx)
    member = f.member(ctx)
    [voucher_id] = f.give(ctx, member["id"], f.template(ctx)["id"])
    ctx.clock.move_to(f.local(2026, 3, 12, 12))
    key = create_api_key(ctx, name="platform", role="platform")
    bodies = [
        {"order_no": f"HTTP-{n}", "member_id": member["id"], "station_id": "S1", "start_time": "2026-03-12T10:00:00",
         "end_time": "2026-03-12T11:00:00", "energy_kwh": 20, "elec_fee_fen": 2000, "service_fee_fen": 800,
         "voucher_id": voucher_id}
        for n in range(PARALLEL)
    ]
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
        with ThreadPoolExecutor(PARALLEL) as pool:
            responses = list(pool.map(lambda b: client.post("/api/v1/charge-orders", json=b), bodies))
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 1, 409: PARALLEL - 1}
        winner = next(r for r in responses if r.status_code == 201).json()
        assert (winner["voucher_id"], winner["voucher_deduction_fen"], winner["due_fen"]) == (voucher_id, 1000, 1800)
        used = client.get(f"/api/v1/members/{member['id']}/vouchers", params={"status": "used"}).json()["items"]
        assert [(v["id"], v["used_order_no"]) for v in used] == [(voucher_id, winner["order_no"])]
        assert client.get(f"/api/v1/members/{member['id']}").json()["charge_count"] == 1
