"""The admin wallet refund's ``via`` without WeChat Pay configured (the sandbox provider)."""

from __future__ import annotations


def test_a_refund_via_wechat_without_wechat_pay_is_503_and_debits_nothing(api):
    member = api.member()
    api.platform("POST", "/api/v1/recharges", json={"order_no": "R1", "member_id": member["id"], "amount_fen": 10000})
    api.platform("POST", "/api/v1/recharges/R1/confirm", json={"provider_txn_id": "T1"})
    answer = api.admin("POST", f"/api/v1/admin/members/{member['id']}/wallet/refund",
                       json={"amount_fen": 3000, "reason": "用户申请退款", "refund_no": "RF1", "via": "wechat"})
    assert answer.status_code == 503 and "EVPERKS_WECHAT_APPID" in answer.json()["detail"]
    assert api.platform("GET", f"/api/v1/members/{member['id']}").json()["wallet_balance_fen"] == 10000


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
