"""Campaign triggers over HTTP: registration budget, settlement rewards, member progress."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from evperks.db.tables import campaigns
from tests.api.conftest import local
from tests.integration.test_campaign_triggers import insert_campaign


def test_forty_parallel_http_registrations_against_a_budget_of_ten_reward_exactly_ten(api):
    api.set_clock(local(2026, 3, 12, 12))
    template = api.template()
    campaign_id = insert_campaign(api.ctx, type="registration", total=10,
                                  reward=[{"template_id": template["id"], "quantity": 1}])
    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(
            lambda n: api.platform("POST", "/api/v1/members", json={"phone": f"1360000{n:04d}"}), range(40)))
    assert [r.status_code for r in responses] == [201] * 40
    rewarded = [r.json()["id"] for r in responses if api.vouchers(r.json()["id"])]
    assert len(rewarded) == 10
    assert all(api.vouchers(m)[0]["source"]["campaign_id"] == campaign_id for m in rewarded)
    with api.ctx.db.read() as conn:
        campaign = conn.execute(select(campaigns).where(campaigns.c.id == campaign_id)).one()
    assert (campaign.packages_given, campaign.status, campaign.ended_reason) == (10, "ended", "exhausted")
    again = api.platform("POST", "/api/v1/members", json={"phone": "13600000000"})
    assert again.status_code == 409


def test_the_invitees_first_settlement_lists_the_inviters_referral_package(api):
    api.set_clock(local(2026, 3, 12, 12))
    api.station()
    template = api.template()
    campaign_id = insert_campaign(api.ctx, type="referral", reward=[{"template_id": template["id"], "quantity": 2}])
    inviter = api.member()
    invitee = api.member(invite_code=inviter["invite_code"])
    first = api.settle(api.order(invitee["id"]))
    second = api.settle(api.order(invitee["id"]))
    assert first.status_code == 201 and second.status_code == 201
    (reward,) = first.json()["rewards"]
    assert reward["campaign_id"] == campaign_id
    assert sorted(reward["voucher_ids"]) == sorted(v["id"] for v in api.vouchers(inviter["id"]))
    assert second.json()["rewards"] == []
    assert api.vouchers(invitee["id"]) == []


def test_a_quote_shows_no_campaign_rewards(api):
    api.set_clock(local(2026, 3, 12, 12))
    api.station()
    template = api.template()
    insert_campaign(api.ctx, type="consumption", metric="energy",
                    tiers=[{"threshold": 1000, "reward": [{"template_id": template["id"], "quantity": 1}]}])
    member = api.member()
    body = api.order(member["id"])
    body.pop("order_no")
    response = api.platform("POST", "/api/v1/charge-orders/quote", json=body)
    assert response.status_code == 200 and response.json()["rewards"] == []


def test_a_member_reads_its_consumption_progress(api):
    api.set_clock(local(2026, 3, 12, 12))
    api.station()
    template = api.template()
    reward = [{"template_id": template["id"], "quantity": 1}]
    campaign_id = insert_campaign(api.ctx, type="consumption", metric="energy", end=local(2026, 3, 20),
                                  tiers=[{"threshold": 10_000, "reward": reward}, {"threshold": 30_000, "reward": reward}])
    insert_campaign(api.ctx, type="registration", reward=reward)  # not a consumption campaign: not listed
    member = api.member()
    assert api.settle(api.order(member["id"], energy_kwh="20.5")).status_code == 201

    response = api.platform("GET", f"/api/v1/members/{member['id']}/campaigns")

    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item == {
        "campaign_id": campaign_id, "name": "活动", "metric": "energy", "accumulated": "20.500",
        "next_threshold": "30.000", "remaining": "9.500", "days_left": 8, "reached_tiers": 1, "tiers_total": 2,
        "tiers": [{"threshold": "10.000", "reached": True}, {"threshold": "30.000", "reached": False}],
        "rules_text": "规则", "end_at": "2026-03-20T00:00:00+08:00",
    }


def test_progress_of_an_unknown_member_is_404(api):
    assert api.platform("GET", "/api/v1/members/nobody/campaigns").status_code == 404
