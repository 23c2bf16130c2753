"""Referral safeguards (拉新防刷) over HTTP on both engines: the invitee's first qualifying order pays its
inviter, and one inviter earns at most the campaign's cap."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.api.conftest import local

BASE = "/api/v1/admin/campaigns"


def _referral(api, **safeguards) -> dict:
    template = api.template()
    response = api.admin("POST", BASE, json={
        "type": "referral", "name": "拉新", "start_at": "2026-03-01T00:00:00", "end_at": "2026-04-01T00:00:00",
        "rules_text": "邀请好友", "total_packages": 100, "reward": [{"template_id": template["id"], "quantity": 1}],
        **safeguards})
    assert response.status_code == 201, response.text
    published = api.admin("POST", f"{BASE}/{response.json()['id']}/publish")
    assert published.status_code == 200, published.text
    return published.json()


@pytest.fixture
def started(api):
    api.set_clock(local(2026, 3, 12, 12))
    api.station()
    return api


def test_a_2_kwh_first_order_earns_nothing_and_the_first_6_kwh_one_rewards_the_inviter_once(started):
    api = started
    campaign = _referral(api, min_first_charge_kwh="5")
    assert campaign["min_first_charge_kwh"] == "5.000"
    inviter = api.member()
    invitee = api.member(invite_code=inviter["invite_code"])
    small = api.settle(api.order(invitee["id"], energy_kwh="2"))
    big = api.settle(api.order(invitee["id"], energy_kwh="6"))
    bigger = api.settle(api.order(invitee["id"], energy_kwh="9"))
    assert [r.json()["rewards"] for r in (small, bigger)] == [[], []]
    assert [r["campaign_id"] for r in big.json()["rewards"]] == [campaign["id"]]
    assert len(api.vouchers(inviter["id"])) == 1


def test_the_paid_threshold_counts_what_the_invitee_paid_after_its_voucher(started):
    api = started
    _referral(api, min_first_charge_paid_fen=1000)
    inviter = api.member()
    invitee = api.member(invite_code=inviter["invite_code"])
    api.give(invitee["id"], api.template(name="8元券", face_value_fen=800)["id"])
    api.set_clock(local(2026, 3, 12, 14))
    after_issue = {"start_time": "2026-03-12T12:30:00+08:00", "end_time": "2026-03-12T13:00:00+08:00",
                   "elec_fee_fen": 1000, "service_fee_fen": 500}
    discounted = api.settle(api.order(invitee["id"], **after_issue))  # pays 7.00
    full = api.settle(api.order(invitee["id"], **after_issue))  # pays 15.00
    assert discounted.json()["rewards"] == [] and len(full.json()["rewards"]) == 1


def test_without_thresholds_only_the_first_order_counts_as_before(started):
    api = started
    _referral(api)
    inviter = api.member()
    invitee = api.member(invite_code=inviter["invite_code"])
    first = api.settle(api.order(invitee["id"], energy_kwh="0.5"))
    assert len(first.json()["rewards"]) == 1
    assert api.settle(api.order(invitee["id"])).json()["rewards"] == []


def test_an_inviter_stops_earning_at_the_cap_even_when_invitees_settle_in_parallel(started):
    api = started
    _referral(api, min_first_charge_kwh=5, max_rewards_per_inviter=2)
    inviter = api.member()
    invitees = [api.member(invite_code=inviter["invite_code"]) for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda m: api.settle(api.order(m["id"], energy_kwh="6")), invitees))
    assert [r.status_code for r in responses] == [201] * 8
    assert sum(len(r.json()["rewards"]) for r in responses) == 2
    assert len(api.vouchers(inviter["id"])) == 2
    other = api.member()  # another inviter still earns
    api.settle(api.order(api.member(invite_code=other["invite_code"])["id"], energy_kwh="6"))
    assert len(api.vouchers(other["id"])) == 1


@pytest.mark.parametrize(("field", "value"), [
    ("min_first_charge_kwh", "1.2345"), ("min_first_charge_kwh", "abc"), ("min_first_charge_kwh", 0),
    ("min_first_charge_paid_fen", 0), ("min_first_charge_paid_fen", 1.5), ("max_rewards_per_inviter", 0),
    ("max_rewards_per_inviter", -1),
])
def test_bad_safeguards_are_refused_naming_the_field(started, field, value):
    api = started
    template = api.template()
    created = api.admin("POST", BASE, json={
        "type": "referral", "name": "拉新", "start_at": "2026-03-01T00:00:00", "end_at": "2026-04-01T00:00:00",
        "rules_text": "邀请好友", "total_packages": 100, "reward": [{"template_id": template["id"], "quantity": 1}],
        field: value})
    if created.status_code == 201:
        created = api.admin("POST", f"{BASE}/{created.json()['id']}/publish")
    assert created.status_code == 422, created.text
    assert field in [e["field"] for e in created.json()["errors"]]


def test_other_campaign_types_refuse_the_referral_safeguards(started):
    response = started.admin("POST", BASE, json={"type": "registration", "name": "注册有礼", "max_rewards_per_inviter": 3})
    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("max_rewards_per_inviter", "campaign.only_referral")]
