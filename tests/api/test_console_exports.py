"""数据导出 over HTTP: the CSV files a signed-in operator downloads, read back as a spreadsheet would, on
both engines; and the admin API's set-based unbinding."""

from __future__ import annotations

import csv
import io

from evperks.services import exports
from evperks.services.campaigns import lifecycle
from tests.api.conftest import local
from tests.api.test_console_session_api import sign_in

BOM = "\ufeff"


def download(api, path: str, **params) -> list[dict]:
    response = api.client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    text = response.content.decode("utf-8")
    assert text.startswith(BOM)  # Excel reads the Chinese right only with it
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_member_export_has_the_search_s_members_with_yuan_local_times_and_no_formulas(api):
    api.set_clock(local(2026, 3, 12, 12))
    api.station()
    sign_in(api, "olga", "operator")
    vip = api.member(nickname="=HYPERLINK(\"http://x\")", tags=["vip"], registered_at="2026-03-01T23:30:00+08:00")
    api.member(nickname="其他")
    assert api.settle(api.order(vip["id"], elec_fee_fen=1234, service_fee_fen=0)).status_code == 201

    rows = download(api, "/admin/exports/members.csv", tag="vip")
    assert len(rows) == 1
    row = rows[0]
    assert row["会员编号"] == vip["id"] and row["手机号"] == vip["phone"]
    assert row["昵称"] == "'=HYPERLINK(\"http://x\")"  # shown as text, never run as a formula
    assert row["注册时间"] == "2026-03-01 23:30:00"  # the operator's zone, not UTC (15:30)
    assert row["累计消费（元）"] == "12.34"
    assert row["累计电量（kWh）"] == "20.500"
    assert row["标签"] == "vip"
    assert len(download(api, "/admin/exports/members.csv")) == 2


def test_a_large_export_streams_every_row_once_in_key_order_across_batches(api, monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 3)  # many small batches: the keyset must neither skip nor repeat
    api.set_clock(local(2026, 3, 12, 12))
    sign_in(api, "olga", "viewer")
    made = [api.member(registered_at=f"2026-03-0{n % 3 + 1}T08:00:00+08:00") for n in range(10)]
    api.member(tags=["vip"])
    rows = download(api, "/admin/exports/members.csv", registered_to="2026-03-05")
    assert [r["会员编号"] for r in rows] == sorted(m["id"] for m in made)  # all ten, once each, by id


def test_the_voucher_export_lists_issued_vouchers_with_their_state_and_order(api):
    api.set_clock(local(2026, 3, 12, 10))
    api.station()
    sign_in(api, "olga", "operator")
    member = api.member()
    template = api.template(name="10元券", face_value_fen=1000)
    other = api.template(name="5元券", face_value_fen=500)
    used, spare = api.give(member["id"], template["id"], 2)
    api.give(member["id"], other["id"])
    api.set_clock(local(2026, 3, 12, 12))
    assert api.settle(api.order(member["id"], order_no="ORD-A", voucher_id=used["id"])).status_code == 201
    assert api.admin("POST", f"/api/v1/admin/vouchers/{spare['id']}/revoke", json={"reason": "发错"}).status_code == 200

    rows = {r["券ID"]: r for r in download(api, "/admin/exports/vouchers.csv", template_id=template["id"])}
    assert set(rows) == {str(used["id"]), str(spare["id"])}
    assert rows[str(used["id"])]["状态"] == "已使用" and rows[str(used["id"])]["使用订单号"] == "ORD-A"
    assert rows[str(used["id"])]["面额（元）"] == "10.00"
    assert rows[str(spare["id"])]["状态"] == "已撤销"
    assert rows[str(spare["id"])]["发放时间"] == "2026-03-12 10:00:00"
    assert rows[str(spare["id"])]["失效时间"] == "2026-03-19 00:00:00"  # 7 days: local midnight
    assert len(download(api, "/admin/exports/vouchers.csv")) == 3


def test_the_order_export_has_the_days_asked_for_with_every_amount_in_yuan(api):
    api.station()
    sign_in(api, "olga", "viewer")
    member = api.member()
    for day in (12, 13):
        api.set_clock(local(2026, 3, day, 23, 30))
        body = api.order(member["id"], order_no=f"ORD-{day}", end_time=f"2026-03-{day}T23:00:00+08:00",
                         start_time=f"2026-03-{day}T22:00:00+08:00")
        assert api.settle(body).status_code == 201
    rows = download(api, "/admin/exports/orders.csv", settled_from="2026-03-13", settled_to="2026-03-13")
    assert [r["订单号"] for r in rows] == ["ORD-13"]  # 23:30 local on the 13th is the 13th, not UTC's
    row = rows[0]
    assert (row["电费（元）"], row["服务费（元）"], row["合计（元）"]) == ("20.00", "8.00", "28.00")
    assert row["其他支付（元）"] == "28.00" and row["状态"] == "已结算"
    assert row["结算时间"] == "2026-03-13 23:30:00" and row["站点名称"] == "南山站"
    assert [r["订单号"] for r in download(api, "/admin/exports/orders.csv")] == ["ORD-12", "ORD-13"]
    refused = api.client.get("/admin/exports/orders.csv", params={"settled_from": "2026-02-30"})
    assert refused.status_code == 422 and "settled_from" in refused.text


def test_the_recipient_export_lists_who_a_campaign_rewarded(api):
    api.set_clock(local(2026, 3, 10, 9))
    sign_in(api, "olga", "operator")
    template = api.template()
    campaign = lifecycle.create_campaign(api.ctx, fields={
        "type": "registration", "name": "注册有礼", "rules_text": "注册即送", "total_packages": 10,
        "start_at": local(2026, 3, 10), "end_at": local(2026, 4, 10),
        "reward": [{"template_id": template["id"], "quantity": 2}]})
    lifecycle.publish_campaign(api.ctx, campaign["id"])
    joined = [api.member(nickname=f"新人{n}") for n in range(2)]
    rows = download(api, f"/admin/exports/campaigns/{campaign['id']}/recipients.csv")
    assert sorted(r["会员编号"] for r in rows) == sorted(m["id"] for m in joined)
    assert {r["代金券数"] for r in rows} == {"2"}
    assert {r["发放时间"] for r in rows} == {"2026-03-10 09:00:00"}
    assert api.client.get("/admin/exports/campaigns/999999/recipients.csv").status_code == 404


def test_exports_need_a_console_session(api):
    response = api.client.get("/admin/exports/members.csv", follow_redirects=False)
    assert response.status_code in (302, 303) and "/admin/login" in response.headers["location"]


def test_the_admin_api_unbinds_by_ids_by_a_search_or_everyone(api):
    api.set_clock(local(2026, 3, 10, 9))
    vip = [api.member(tags=["vip"]) for _ in range(3)]
    others = [api.member() for _ in range(2)]
    created = api.admin("POST", "/api/v1/admin/campaigns", json={"type": "one_time", "name": "回馈"})
    path = f"/api/v1/admin/campaigns/{created.json()['id']}/members"
    assert api.admin("POST", path, json={"filter": {}}).json() == {"bound": 5, "total": 5}

    def bound() -> set[str]:
        return {m["member_id"] for m in api.admin("GET", path, params={"limit": 200}).json()["items"]}

    assert api.admin("DELETE", path, json={"member_ids": [vip[0]["id"]]}).json() == {"unbound": 1, "total": 4}
    assert api.admin("DELETE", path, json={"filter": {"tag": "vip"}}).json() == {"unbound": 2, "total": 2}
    assert bound() == {m["id"] for m in others}
    assert api.admin("DELETE", path, json={"filter": {"tag": "vip"}}).json() == {"unbound": 0, "total": 2}
    assert api.admin("DELETE", path, json={"all": True}).json() == {"unbound": 2, "total": 0}
    assert bound() == set()
    for body in ({}, {"all": False}, {"all": True, "member_ids": [vip[0]["id"]]}, {"filter": {"tag": "vip"}, "all": True}):
        refused = api.admin("DELETE", path, json=body)
        assert refused.status_code == 422, body
