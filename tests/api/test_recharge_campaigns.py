"""A confirmed recharge runs the recharge campaigns (充值活动): the reward shows in the confirmation and
in the member's recharge details (充值详情)."""

from __future__ import annotations

from sqlalchemy import insert

from evperks.db.tables import campaigns
from tests.api.conftest import local


def _recharge_campaign(api, tiers: list[dict]) -> int:
    now = api.ctx.clock.now()
    with api.ctx.db.write() as conn:
        return conn.execute(
            insert(campaigns).values(
                type="recharge", status="active", name="充值送券", start_at=now, end_at=local(2027, 1, 1),
                rules_text="充100送10", total_packages=100, reward=[], tiers=tiers, created_at=now, updated_at=now,
            )
        ).inserted_primary_key[0]


def test_a_confirmed_recharge_gets_the_highest_tier_it_reaches_once(api):
    api.set_clock(local(2026, 3, 10, 9))
    member = api.member()
    small, large = api.template(face_value_fen=500)["id"], api.template(face_value_fen=2000)["id"]
    campaign_id = _recharge_campaign(api, [
        {"min_amount_fen": 10000, "reward": [{"template_id": small, "quantity": 1}]},
        {"min_amount_fen": 20000, "reward": [{"template_id": large, "quantity": 2}]},
    ])
    created = api.platform("POST", "/api/v1/recharges", json={"order_no": "R-1", "member_id": member["id"], "amount_fen": 20000})
    assert created.status_code == 201, created.text
    confirm = {"provider_txn_id": "TXN-1"}
    first = api.platform("POST", "/api/v1/recharges/R-1/confirm", json=confirm)
    again = api.platform("POST", "/api/v1/recharges/R-1/confirm", json=confirm)
    assert first.status_code == 200, first.text
    assert again.json() == first.json()
    [reward] = first.json()["rewards"]
    assert reward["campaign_id"] == campaign_id and len(reward["voucher_ids"]) == 2
    assert first.json()["wallet_balance_fen"] == 20000
    vouchers = api.vouchers(member["id"], "available")
    assert sorted(v["id"] for v in vouchers) == sorted(reward["voucher_ids"])
    assert {v["face_value_fen"] for v in vouchers} == {2000}
    assert all(v["source"] == {"kind": "campaign", "campaign_id": campaign_id} for v in vouchers)
    details = api.platform("GET", f"/api/v1/members/{member['id']}/recharges").json()["items"]
    assert sorted(v["id"] for v in details[0]["vouchers"]) == sorted(reward["voucher_ids"])


def test_a_recharge_below_the_lowest_tier_gets_no_reward(api):
    api.set_clock(local(2026, 3, 10, 9))
    member = api.member()
    _recharge_campaign(api, [{"min_amount_fen": 10000, "reward": [{"template_id": api.template()["id"], "quantity": 1}]}])
    api.platform("POST", "/api/v1/recharges", json={"order_no": "R-2", "member_id": member["id"], "amount_fen": 5000})
    confirmed = api.platform("POST", "/api/v1/recharges/R-2/confirm", json={"provider_txn_id": "TXN-2"})
    assert confirmed.json()["rewards"] == []
    assert api.vouchers(member["id"]) == []
