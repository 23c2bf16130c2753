"""An HTTP client on the real application, per engine, with a platform key and an admin key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from evperks.app import create_app
from evperks.services.access import create_api_key
from evperks.services.context import Context
from tests.api.shapes import check_response_shapes

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    """An instant given as Asia/Shanghai wall time."""
    return datetime(*args, tzinfo=SHANGHAI)


class Api:
    """The test's view of the API: the platform's calls, the admin's calls, and factories."""

    def __init__(self, client: TestClient, ctx: Context, platform_key: str, admin_key: str) -> None:
        self.client = client
        self.ctx = ctx
        self.platform_headers = {"Authorization": f"Bearer {platform_key}"}
        self.admin_headers = {"Authorization": f"Bearer {admin_key}"}
        self._numbers = count(1)

    def platform(self, method: str, path: str, **kwargs):
        return self.client.request(method, path, headers=self.platform_headers, **kwargs)

    def admin(self, method: str, path: str, **kwargs):
        return self.client.request(method, path, headers=self.admin_headers, **kwargs)

    def set_clock(self, instant: datetime) -> None:
        response = self.admin("PUT", "/api/v1/sandbox/clock", json={"now": instant.isoformat()})
        assert response.status_code == 200, response.text

    # --- factories ---------------------------------------------------------------------------------
    def station(self, station_id: str = "S1", name: str = "南山站", city: str = "深圳") -> str:
        response = self.platform("PUT", f"/api/v1/stations/{station_id}", json={"name": name, "city": city})
        assert response.status_code in (200, 201), response.text
        return station_id

    def member(self, **fields) -> dict:
        n = next(self._numbers)
        body = {"phone": f"138{n:08d}", **fields}
        response = self.platform("POST", "/api/v1/members", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    def template(self, **fields) -> dict:
        body = {
            "name": "10元券",
            "face_value_fen": 1000,
            "deduction_type": "total",
            "validity": {"type": "days", "days": 7},
            **fields,
        }
        response = self.admin("POST", "/api/v1/admin/voucher-templates", json=body)
        for n in range(2, 100):  # template names are unique: the default one gets a number when taken
            if "name" in fields or response.status_code != 422:
                break
            response = self.admin("POST", "/api/v1/admin/voucher-templates", json={**body, "name": f"10元券 {n}"})
        assert response.status_code == 201, response.text
        return response.json()

    def give(self, member_id: str, template_id: int, quantity: int = 1) -> list[dict]:
        response = self.admin(
            "POST", f"/api/v1/admin/members/{member_id}/vouchers",
            json={"template_id": template_id, "quantity": quantity, "reason": "客服补发"},
        )
        assert response.status_code == 201, response.text
        return response.json()

    def order(self, member: str, **fields) -> dict:
        """A charge order body for ``member``, by default ending 2026-03-12 11:00 at station S1."""
        n = next(self._numbers)
        return {
            "order_no": f"ORD-{n}",
            "member_id": member,
            "station_id": "S1",
            "start_time": "2026-03-12T10:00:00+08:00",
            "end_time": "2026-03-12T11:00:00+08:00",
            "energy_kwh": "20.5",
            "elec_fee_fen": 2000,
            "service_fee_fen": 800,
            **fields,
        }

    def settle(self, body: dict):
        return self.platform("POST", "/api/v1/charge-orders", json=body)

    def vouchers(self, member_id: str, status: str | None = None) -> list[dict]:
        params = {"status": status} if status else {}
        response = self.platform("GET", f"/api/v1/members/{member_id}/vouchers", params=params)
        assert response.status_code == 200, response.text
        return response.json()["items"]


@pytest.fixture
def api(ctx: Context) -> Iterator[Api]:
    platform_key = create_api_key(ctx, name="platform", role="platform")
    admin_key = create_api_key(ctx, name="admin", role="admin")
    app = create_app(ctx=ctx)
    with TestClient(app, raise_server_exceptions=False) as client:
        check_response_shapes(client, app)  # every JSON answer has the shape its route declares
        yield Api(client, ctx, platform_key, admin_key)
