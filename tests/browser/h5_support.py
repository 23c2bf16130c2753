"""Setting the scene for H5 browser tests: the platform's HTTP calls (httpx with ``site.platform_key``),
campaigns and templates made through the services, and entering the H5 through a signed link."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from evperks.domain.vouchers import DaysValidity, DeductionType
from evperks.services import vouchers
from evperks.services.campaigns import lifecycle

SHANGHAI = ZoneInfo("Asia/Shanghai")
# How long a direct HTTP call waits for the server: a bound for a loaded 2-core machine (httpx's default of
# 5 s was reached in CI while other tests ran), not a speed limit; the browser waits as long.
WAIT = httpx.Timeout(20.0)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def platform(site, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(method, site.url(path), headers={"Authorization": f"Bearer {site.platform_key}"},
                         timeout=WAIT, **kwargs)


def member(site, phone: str, **fields) -> dict:
    response = platform(site, "POST", "/api/v1/members", json={"phone": phone, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def member_by_phone(site, phone: str) -> dict | None:
    response = httpx.get(site.url("/api/v1/admin/members"), params={"phone": phone}, timeout=WAIT,
                         headers={"Authorization": f"Bearer {site.admin_key}"})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return items[0] if items else None


def station(site, station_id: str = "S1", name: str = "南山站") -> str:
    response = platform(site, "PUT", f"/api/v1/stations/{station_id}", json={"name": name, "city": "深圳"})
    assert response.status_code in (200, 201), response.text
    return station_id


def charge(site, member_id: str, order_no: str, energy_kwh: str = "20.5", **fields) -> dict:
    body = {"order_no": order_no, "member_id": member_id, "station_id": "S1",
            "start_time": "2026-03-12T10:00:00+08:00", "end_time": "2026-03-12T11:00:00+08:00",
            "energy_kwh": energy_kwh, "elec_fee_fen": 2000, "service_fee_fen": 800, **fields}
    response = platform(site, "POST", "/api/v1/charge-orders", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def template(site, name: str, face_value_fen: int, *, deduction: str = "total", days: int = 30,
             station_ids: tuple[str, ...] = ()) -> int:
    spec = vouchers.TemplateSpec(name=name, face_value_fen=face_value_fen, deduction_type=DeductionType(deduction),
                                 validity=DaysValidity(days), station_ids=station_ids)
    return vouchers.create_template(site.ctx, spec)["id"]


def campaign(site, type: str, name: str, rules: str, **fields) -> int:
    """A published campaign running from 2026-03-01 to 2026-03-31 (local) unless told otherwise."""
    values = {"type": type, "name": name, "rules_text": rules, "start_at": local(2026, 3, 1),
              "end_at": local(2026, 3, 31), "total_packages": 100, **fields}
    created = lifecycle.create_campaign(site.ctx, fields=values)
    return lifecycle.publish_campaign(site.ctx, created["id"])["id"]


def link(site, member_id: str) -> str:
    response = platform(site, "GET", f"/api/v1/members/{member_id}/h5-link")
    assert response.status_code == 200, response.text
    return response.json()["url"]


def enter(page, site, member_id: str) -> None:
    """Open the member's signed link, as the official account's menu does."""
    page.goto(link(site, member_id))
    page.wait_for_url("**/h5")
