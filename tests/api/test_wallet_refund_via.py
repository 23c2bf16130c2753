"""The admin wallet refund's ``via`` without WeChat Pay configured (the sandbox provider)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from evperks.app import create_app
from evperks.services import wallet
from evperks.services.access import create_api_key
from evperks.services.context import Context
from tests import factories as f


def test_a_refund_via_wechat_without_wechat_pay_is_422_and_debits_nothing(api):
    member = api.member()
    api.platform("POST", "/api/v1/recharges", json={"order_no": "R1", "member_id": member["id"], "amount_fen": 10000})
    api.platform("POST", "/api/v1/recharges/R1/confirm", json={"provider_txn_id": "T1"})
    answer = api.admin("POST", f"/api/v1/admin/members/{member['id']}/wallet/refund",
                       json={"amount_fen": 3000, "reason": "用户申请退款", "refund_no": "RF1", "via": "wechat"})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "via"
    assert api.platform("GET", f"/api/v1/members/{member['id']}").json()["wallet_balance_fen"] == 10000


def test_a_refund_via_a_half_configured_wechat_pay_is_503_naming_the_settings_and_debits_nothing(ctx):
    settings = ctx.settings.model_copy(update={"wechat_mchid": "1900000109"})
    app = create_app(ctx=Context(db=ctx.db, clock=ctx.clock, settings=settings))
    key = create_api_key(ctx, name="admin", role="admin")
    member = f.member(ctx)
    with TestClient(app) as client:
        answer = client.post(f"/api/v1/admin/members/{member['id']}/wallet/refund",
                             headers={"Authorization": f"Bearer {key}"},
                             json={"amount_fen": 100, "reason": "用户申请退款", "refund_no": "RF1", "via": "wechat"})
    assert answer.status_code == 503 and "EVPERKS_WECHAT_APPID" in answer.json()["detail"]
    assert wallet.member_ledger(ctx, member_id=member["id"])["items"] == []


def test_an_outside_refund_names_no_recharge(api):
    member = api.member()
    answer = api.admin("POST", f"/api/v1/admin/members/{member['id']}/wallet/refund",
                       json={"amount_fen": 3000, "reason": "用户申请退款", "order_no": "R1"})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "order_no"


def test_an_outside_refund_answers_with_its_channel_and_status(api):
    member = api.member()
    api.platform("POST", "/api/v1/recharges", json={"order_no": "R1", "member_id": member["id"], "amount_fen": 10000})
    api.platform("POST", "/api/v1/recharges/R1/confirm", json={"provider_txn_id": "T1"})
    answer = api.admin("POST", f"/api/v1/admin/members/{member['id']}/wallet/refund",
                       json={"amount_fen": 3000, "reason": "用户申请退款"})
    assert answer.status_code == 201
    body = answer.json()
    assert (body["via"], body["status"], body["order_no"], body["wallet_balance_fen"]) == ("outside", "success", None, 7000)
