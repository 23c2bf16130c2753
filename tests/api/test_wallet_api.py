from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from evperks.db.tables import vouchers
from evperks.db.tables_campaigns import campaign_packages, campaigns
from tests.api.conftest import local


@pytest.fixture
def member(api):
    api.station("S1")
    api.set_clock(local(2026, 3, 12, 12))
    return api.member()


def recharge(api, member_id: str, order_no: str, amount_fen: int = 10000):
    return api.platform("POST", "/api/v1/recharges", json={"order_no": order_no, "member_id": member_id,
                                                          "amount_fen": amount_fen})


def confirm(api, order_no: str, **body):
    return api.platform("POST", f"/api/v1/recharges/{order_no}/confirm", json={"provider_txn_id": "T-" + order_no, **body})


def test_settings_default_until_saved_and_then_read_back_sorted(api):
    default = api.admin("GET", "/api/v1/admin/stored-value/settings").json()
    assert default == {"min_recharge_fen": 100, "denominations_fen": [5000, 10000, 20000, 50000],
                       "allow_custom_amount": True, "min_start_balance_fen": 0, "hold_hours": 24, "updated_at": None}
    saved = api.admin("PUT", "/api/v1/admin/stored-value/settings",
                      json={"min_recharge_fen": 1000, "denominations_fen": [20000, 5000], "allow_custom_amount": False})
    assert saved.status_code == 200
    read = api.admin("GET", "/api/v1/admin/stored-value/settings").json()
    assert (read["denominations_fen"], read["allow_custom_amount"]) == ([5000, 20000], False)


@pytest.mark.parametrize("body, field", [
    ({"min_recharge_fen": 1000, "denominations_fen": [500], "allow_custom_amount": True}, "denominations_fen"),
    ({"min_recharge_fen": 100, "denominations_fen": [500, 500], "allow_custom_amount": True}, "denominations_fen"),
    ({"min_recharge_fen": 100, "denominations_fen": [0], "allow_custom_amount": True}, "denominations_fen.0"),
    ({"min_recharge_fen": 0, "denominations_fen": [500], "allow_custom_amount": True}, "min_recharge_fen"),
    ({"min_recharge_fen": 100, "denominations_fen": [], "allow_custom_amount": False}, "denominations_fen"),
])
def test_bad_settings_are_refused_naming_the_field(api, body, field):
    response = api.admin("PUT", "/api/v1/admin/stored-value/settings", json=body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


def test_settings_are_for_admins_only(api):
    assert api.platform("GET", "/api/v1/admin/stored-value/settings").status_code == 403


def test_a_recharge_is_created_pending_and_refused_when_the_settings_do_not_offer_its_amount(api, member):
    api.admin("PUT", "/api/v1/admin/stored-value/settings",
              json={"min_recharge_fen": 1000, "denominations_fen": [5000, 10000], "allow_custom_amount": False})
    created = recharge(api, member["id"], "R1", 5000)
    assert created.status_code == 201
    assert (created.json()["status"], created.json()["amount_fen"]) == ("pending", 5000)
    refused = recharge(api, member["id"], "R2", 7000)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "amount_fen"
    assert recharge(api, member["id"], "R1", 5000).status_code == 200
    assert recharge(api, member["id"], "R1", 10000).status_code == 409


def test_confirming_credits_once_and_every_repeat_answers_the_same(api, member):
    recharge(api, member["id"], "R1", 10000)
    first = confirm(api, "R1", amount_fen=10000, paid_at="2026-03-12T11:59:00+08:00")
    again = confirm(api, "R1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"order_no": "R1", "status": "paid", "amount_fen": 10000,
                                            "wallet_balance_fen": 10000, "rewards": []}
    assert api.platform("GET", f"/api/v1/members/{member['id']}").json()["wallet_balance_fen"] == 10000
    shown = api.platform("GET", "/api/v1/recharges/R1").json()
    assert (shown["status"], shown["provider_txn_id"], shown["paid_at"]) == ("paid", "T-R1", "2026-03-12T11:59:00+08:00")


def test_confirm_errors_are_404_and_409(api, member):
    assert confirm(api, "nope").status_code == 404
    recharge(api, member["id"], "R1", 10000)
    assert confirm(api, "R1", amount_fen=9000).status_code == 409
    assert api.platform("POST", "/api/v1/recharges/R1/cancel").json()["status"] == "cancelled"
    assert confirm(api, "R1").status_code == 409
    recharge(api, member["id"], "R2", 10000)
    recharge(api, member["id"], "R3", 10000)
    confirm(api, "R2")
    assert api.platform("POST", "/api/v1/recharges/R3/confirm", json={"provider_txn_id": "T-R2"}).status_code == 409
    assert api.platform("POST", "/api/v1/recharges/R2/cancel").status_code == 409
    assert api.platform("GET", f"/api/v1/members/{member['id']}").json()["wallet_balance_fen"] == 10000


def test_settling_with_the_wallet_pays_after_the_voucher_and_reports_the_rest_as_due(api, member):
    recharge(api, member["id"], "R1", 2000)  # a custom amount, allowed by default
    confirm(api, "R1")
    api.give(member["id"], api.template(face_value_fen=500)["id"])
    api.set_clock(local(2026, 3, 12, 14))
    times = {"start_time": "2026-03-12T12:30:00+08:00", "end_time": "2026-03-12T13:30:00+08:00"}
    quote_body = {k: v for k, v in api.order(member["id"], use_wallet=True, **times).items() if k != "order_no"}
    quoted = api.platform("POST", "/api/v1/charge-orders/quote", json=quote_body).json()
    settled = api.settle(api.order(member["id"], use_wallet=True, **times)).json()
    for body in (quoted, settled):
        assert (body["voucher_deduction_fen"], body["wallet_paid_fen"], body["due_fen"]) == (500, 2000, 300)
    without = api.settle(api.order(member["id"])).json()
    assert without["wallet_paid_fen"] == 0
    ledger = api.platform("GET", f"/api/v1/members/{member['id']}/wallet/ledger").json()
    assert [(e["amount_fen"], e["balance_after_fen"], e["kind"]) for e in ledger["items"]] == [
        (-2000, 0, "payment"), (2000, 2000, "recharge")]
    assert ledger["items"][0]["ref"] == settled["order_no"]
    assert set(ledger["items"][0]) == {"id", "amount_fen", "balance_after_fen", "kind", "ref", "reason", "created_at"}


def test_the_ledger_pages_with_a_cursor_and_unknown_members_are_404(api, member):
    for n in range(3):
        recharge(api, member["id"], f"R{n}", 5000)
        confirm(api, f"R{n}")
    page1 = api.platform("GET", f"/api/v1/members/{member['id']}/wallet/ledger", params={"limit": 2}).json()
    page2 = api.platform("GET", f"/api/v1/members/{member['id']}/wallet/ledger",
                         params={"limit": 2, "cursor": page1["next_cursor"]}).json()
    assert [e["ref"] for e in page1["items"] + page2["items"]] == ["R2", "R1", "R0"]
    assert api.platform("GET", "/api/v1/members/nobody/wallet/ledger").status_code == 404
    assert api.platform("GET", "/api/v1/members/nobody/recharges").status_code == 404


def test_an_admin_refunds_unused_balance_but_never_more_than_it(api, member):
    recharge(api, member["id"], "R1", 5000)
    confirm(api, "R1")
    path = f"/api/v1/admin/members/{member['id']}/wallet/refund"
    too_much = api.admin("POST", path, json={"amount_fen": 5001, "reason": "用户申请退款"})
    assert too_much.status_code == 409
    refunded = api.admin("POST", path, json={"amount_fen": 3000, "reason": "用户申请退款"})
    assert refunded.status_code == 201
    assert (refunded.json()["wallet_balance_fen"], refunded.json()["reason"]) == (2000, "用户申请退款")
    assert api.admin("POST", path, json={"amount_fen": 1, "reason": " "}).status_code == 422
    assert api.platform("POST", path, json={"amount_fen": 1, "reason": "x"}).status_code == 403
    [latest, _] = api.platform("GET", f"/api/v1/members/{member['id']}/wallet/ledger").json()["items"]
    assert (latest["kind"], latest["amount_fen"], latest["reason"]) == ("refund", -3000, "用户申请退款")


def test_recharge_details_show_each_recharge_with_the_vouchers_it_brought(api, member):
    template = api.template(name="充值送10元", face_value_fen=1000)
    recharge(api, member["id"], "R1", 10000)
    confirm(api, "R1")
    api.set_clock(local(2026, 3, 12, 13))
    recharge(api, member["id"], "R2", 5000)
    now = datetime(2026, 3, 12, 5, tzinfo=UTC)
    with api.ctx.db.write() as conn:
        campaign_id = conn.execute(insert(campaigns).values(
            type="recharge", status="active", name="充值有礼", reward=[], tiers=[], created_at=now, updated_at=now,
        )).inserted_primary_key[0]
        package_id = conn.execute(insert(campaign_packages).values(
            campaign_id=campaign_id, member_id=member["id"], trigger="recharge", ref="R1", created_at=now,
        )).inserted_primary_key[0]
        voucher_ids = [conn.execute(insert(vouchers).values(
            member_id=member["id"], template_id=template["id"], name="充值送10元", face_value_fen=1000,
            deduction_type="total", station_ids=[], min_spend_fen=0, valid_from=now,
            valid_until=datetime(2026, 4, 1, tzinfo=UTC), status="available", source_kind="campaign",
            campaign_id=campaign_id, package_id=package_id, issued_at=now,
        )).inserted_primary_key[0] for _ in range(2)]
    items = api.platform("GET", f"/api/v1/members/{member['id']}/recharges").json()["items"]
    assert [(r["order_no"], r["status"], r["amount_fen"]) for r in items] == [("R2", "pending", 5000), ("R1", "paid", 10000)]
    assert items[0]["vouchers"] == []
    assert [(v["id"], v["campaign_id"], v["face_value_fen"]) for v in items[1]["vouchers"]] == [
        (voucher_ids[0], campaign_id, 1000), (voucher_ids[1], campaign_id, 1000)]
    assert items[1]["paid_at"] is not None and items[1]["created_at"] == "2026-03-12T12:00:00+08:00"
