"""Ids as real platforms send them (OCPI EVSE ids contain ``*``), end to end over real HTTP on a live
server: as they are and percent-encoded in the path, in bodies, in templates' station scopes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from evperks.services.access import create_api_key
from tests.api.conftest import local
from tests.live import serving

EVSE = "BE*BEC*E041503003"
EVSE_ENCODED = "BE%2ABEC%2AE041503003"
MEMBER = "EMSP*u:1001@be"
ORDER = "BE*BEC*CO-0001"


@pytest.fixture
def http(ctx) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """(platform client, admin client) on a live server."""
    ctx.clock.move_to(local(2026, 3, 10, 9))
    platform_key = create_api_key(ctx, name="platform", role="platform")
    admin_key = create_api_key(ctx, name="admin", role="admin")
    with serving(ctx) as base_url, \
            httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {platform_key}"}) as platform, \
            httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {admin_key}"}) as admin:
        yield platform, admin


def _ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def test_an_evse_id_with_stars_works_for_stations_members_vouchers_orders_and_recharges(http, ctx):
    platform, admin = http
    _ok(platform.put(f"/api/v1/stations/{EVSE}", json={"name": "Brussels 3", "city": "Brussels"}), 201)
    assert _ok(platform.get(f"/api/v1/stations/{EVSE_ENCODED}")) == {"id": EVSE, "name": "Brussels 3",
                                                                     "city": "Brussels"}
    _ok(platform.put(f"/api/v1/stations/{EVSE_ENCODED}", json={"name": "Brussels 3b"}))
    assert _ok(platform.get(f"/api/v1/stations/{EVSE}"))["name"] == "Brussels 3b"

    _ok(platform.post("/api/v1/members", json={"id": MEMBER, "phone": "13800138000"}), 201)
    template = _ok(admin.post("/api/v1/admin/voucher-templates", json={
        "name": "EVSE券", "face_value_fen": 500, "deduction_type": "total", "validity": {"type": "days", "days": 7},
        "station_ids": [EVSE]}), 201)
    [voucher] = _ok(admin.post("/api/v1/admin/members/EMSP%2Au%3A1001%40be/vouchers",
                               json={"template_id": template["id"], "reason": "test"}), 201)
    assert voucher["station_ids"] == [EVSE]

    ctx.clock.move_to(local(2026, 3, 12, 12))
    settled = _ok(platform.post("/api/v1/charge-orders", json={
        "order_no": ORDER, "member_id": MEMBER, "station_id": EVSE, "start_time": "2026-03-12T10:00:00+08:00",
        "end_time": "2026-03-12T11:00:00+08:00", "energy_kwh": "20.5", "elec_fee_fen": 2000, "service_fee_fen": 800,
    }), 201)
    assert (settled["voucher_id"], settled["due_fen"]) == (voucher["id"], 2300)
    read = _ok(platform.get(f"/api/v1/charge-orders/{ORDER}"))
    assert read == _ok(platform.get("/api/v1/charge-orders/BE%2ABEC%2ACO-0001"))
    assert read == {**settled, "status": "settled", "refunded_fen": 0, "refunds": []}
    assert _ok(platform.get(f"/api/v1/members/{MEMBER}/vouchers", params={"status": "used"}))["items"][0][
        "used_order_no"] == ORDER

    _ok(platform.post("/api/v1/recharges", json={"order_no": "R*1", "member_id": MEMBER, "amount_fen": 5000}), 201)
    assert _ok(platform.post("/api/v1/recharges/R%2A1/confirm", json={"provider_txn_id": "T*1"}))[
        "wallet_balance_fen"] == 5000
    assert _ok(platform.get("/api/v1/members/EMSP%2Au%3A1001%40be"))["wallet_balance_fen"] == 5000


@pytest.mark.parametrize("path", ["a+b", "a'b", "a&b", "a%20b", "a%2Fb", "a%2Bb", "%2E%2E"])
def test_ids_outside_the_set_are_refused_and_nothing_is_stored(http, path):
    platform, _ = http
    response = platform.put(f"/api/v1/stations/{path}", json={"name": "x"})
    assert response.status_code in (404, 405, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _ok(platform.get("/api/v1/stations"))["items"] == []
